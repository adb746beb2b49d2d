import hashlib
import os
import pickle
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmnoisy.compat import (CheckpointLoadError, check_state_dict_matches, download_checkpoint,
                            safe_torch_load)
from tests.conftest import run_tool


def test_full_checkpoint_objects_load_with_weights_only(tmp_path):
    buf = HistoryBuffer()
    buf.update(1.5)
    ckpt = {'state_dict': {'w': torch.ones(2)},
            'message_hub': {'log_scalars': {'loss': buf},
                            'runtime_info': {'acc': np.float64(3.0), 'arr': np.arange(3)}}}
    path = tmp_path / 'full.pth'
    torch.save(ckpt, path)
    loaded = safe_torch_load(str(path))
    assert loaded['message_hub']['log_scalars']['loss'].current() == 1.5
    assert loaded['message_hub']['runtime_info']['acc'] == 3.0


class Evil:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_arbitrary_code_in_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': Evil()}, path)
    with pytest.raises((CheckpointLoadError, pickle.UnpicklingError), match='posix|system|os'):
        safe_torch_load(str(path))


def test_getattr_is_only_allowed_for_history_buffer_methods():
    from mmnoisy.compat import history_buffer_getattr
    assert history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean
    with pytest.raises(CheckpointLoadError):
        history_buffer_getattr(object, '__subclasses__')
    with pytest.raises(CheckpointLoadError):
        history_buffer_getattr(HistoryBuffer, '__init__')


def test_state_dict_mismatch_names_the_problem():
    model = torch.nn.Linear(4, 3)
    check_state_dict_matches(model, {'weight': torch.zeros(3, 4), 'bias': torch.zeros(3)})
    # what to load: the keys of a DDP-wrapped save mapped to the model's own
    state = check_state_dict_matches(model, {'module.weight': torch.ones(3, 4),
                                             'module.bias': torch.ones(3)})
    model.load_state_dict(state)
    assert list(state) == ['weight', 'bias'] and model.bias.sum() == 3
    with pytest.raises(CheckpointLoadError, match=r'weight: checkpoint \(10, 4\) vs model '
                       r'\(3, 4\).*num_classes'):
        check_state_dict_matches(model, {'weight': torch.zeros(10, 4), 'bias': torch.zeros(10)})
    with pytest.raises(CheckpointLoadError, match="missing.*'bias'"):
        check_state_dict_matches(model, {'module.weight': torch.zeros(3, 4)})


def test_download_verifies_hash_and_leaves_no_partial_file(tmp_path, file_server):
    content = b'checkpoint bytes' * 100
    good = hashlib.sha256(content).hexdigest()[:8]
    server = file_server({f'm-{good}.pth': content, 'm-deadbeef.pth': content})
    cache = tmp_path / 'cache'
    umask = os.umask(0o022)
    try:
        path = download_checkpoint(f'{server.url}/m-{good}.pth', str(cache))
    finally:
        os.umask(umask)
    assert open(path, 'rb').read() == content
    assert os.stat(path).st_mode & 0o777 == 0o644  # readable like any downloaded file
    requests = server.requests
    assert download_checkpoint(f'{server.url}/m-{good}.pth', str(cache)) == path
    assert server.requests == requests  # cached: not fetched again
    with pytest.raises(CheckpointLoadError, match='sha256.*deadbeef'):
        download_checkpoint(f'{server.url}/m-deadbeef.pth', str(cache))
    assert sorted(os.listdir(cache)) == [f'm-{good}.pth']


def test_download_cut_short_is_retried_once_then_refused(tmp_path, file_server):
    content = bytes(range(256)) * 64
    name = f'm-{hashlib.sha256(content).hexdigest()[:8]}.pth'
    server = file_server({name: content}, cut_short=1)
    path = download_checkpoint(f'{server.url}/{name}', str(tmp_path / 'a'))
    assert open(path, 'rb').read() == content and server.requests == 2

    server = file_server({name: content}, cut_short=2)
    with pytest.raises(CheckpointLoadError, match=r'could not download .*2 attempts.*cut short'):
        download_checkpoint(f'{server.url}/{name}', str(tmp_path / 'b'))
    assert server.requests == 2 and os.listdir(tmp_path / 'b') == []

    with pytest.raises(CheckpointLoadError, match='could not download .*404'):
        download_checkpoint(f'{server.url}/missing-0123abcd.pth', str(tmp_path / 'c'))
    assert os.listdir(tmp_path / 'c') == []


def _saved(path, legacy=False):
    torch.save({'state_dict': {'w': torch.arange(1000.)}}, path,
               _use_new_zipfile_serialization=not legacy)
    return path.read_bytes()


@pytest.mark.parametrize('damage', ['truncated', 'truncated-legacy', 'empty', 'random'])
def test_damaged_checkpoint_gets_one_line_naming_the_file(tmp_path, damage):
    from mmnoisy.compat import DamagedCheckpointError
    path = tmp_path / 'epoch_3.pth'
    data = _saved(path, legacy=damage.endswith('legacy'))
    path.write_bytes({'empty': b'', 'random': np.random.default_rng(0).bytes(4096)}.get(
        damage, data[:len(data) // 2]))
    with pytest.raises(DamagedCheckpointError) as info:
        safe_torch_load(str(path))
    message = str(info.value)
    assert message.startswith(f'{path} is not a complete checkpoint') and '\n' not in message
    assert 'weights_only=False' not in message and 'SAFE_GLOBALS' not in message
    assert {'empty': 'empty', 'truncated': 'cut short'}.get(damage, '') in message


def test_checkpoint_saving_is_atomic(tmp_path):
    """A process killed while mmengine saves epoch_2.pth leaves the previous file intact
    under that name (and the bytes written so far in a hidden .part file)."""
    import subprocess
    import sys
    import mmengine.runner.runner as mm_runner

    from mmnoisy.compat import apply_patches, atomic_save_checkpoint
    apply_patches()  # as registering mmnoisy's modules does
    assert mm_runner.save_checkpoint is atomic_save_checkpoint  # what Runner.save_checkpoint calls
    path = tmp_path / 'epoch_2.pth'
    old = _saved(path)
    script = (
        'import os, torch, mmnoisy.compat as c\n'
        'real = torch.save\n'
        'def dying_save(obj, f, *a, **k):\n'
        '    f.write(b"PK\\x03\\x04 partial bytes"); f.flush(); os._exit(9)\n'
        'torch.save = dying_save\n'
        f'c.atomic_save_checkpoint({{"state_dict": {{}}}}, {str(path)!r})\n')
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True)
    assert proc.returncode == 9
    assert path.read_bytes() == old
    assert safe_torch_load(str(path))['state_dict']['w'][-1] == 999
    assert (tmp_path / '.epoch_2.pth.part').is_file()


def test_cache_is_keyed_by_url_and_a_damaged_cached_file_is_fetched_again(
        tmp_path, file_server, monkeypatch):
    from mmnoisy.compat import cache_path, load_http
    monkeypatch.setenv('MMNOISY_CACHE', str(tmp_path / 'cache'))
    blobs = {}
    for i, folder in ((1, 'a'), (2, 'b')):  # two different files, both named model.pth
        torch.save({'state_dict': {'w': torch.full((3,), float(i))}}, tmp_path / f'{i}.pth')
        blobs[f'{folder}/model.pth'] = (tmp_path / f'{i}.pth').read_bytes()
    one, two = file_server(blobs), file_server(blobs)
    urls = [f'{one.url}/a/model.pth', f'{one.url}/b/model.pth', f'{two.url}/a/model.pth']
    got = [load_http(u)['state_dict']['w'][0].item() for u in urls]
    assert got == [1.0, 2.0, 1.0]  # the second URL is fetched, not the first one's file
    paths = [cache_path(u) for u in urls]
    assert len(set(paths)) == 3 and all(p.endswith('/model.pth') for p in paths)
    assert one.requests == 2 and two.requests == 1
    load_http(urls[1])
    assert one.requests == 2  # cached
    # a cached file cut short (e.g. a download without Content-Length) is fetched once more
    data = open(paths[1], 'rb').read()
    open(paths[1], 'wb').write(data[:100])
    assert load_http(urls[1])['state_dict']['w'][0].item() == 2.0
    assert one.requests == 3


def test_slurm_host_list_is_never_given_to_a_shell(tmp_path, monkeypatch):
    from mmnoisy.compat import slurm_first_host
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    fake = bin_dir / 'scontrol'  # prints one host per argument word, as scontrol would
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$3" | tr -d "[]" | sed "s/,/\\n/g"\n'
                    'printf "node9\\n"\n')
    fake.chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    assert slurm_first_host('gpu01') == 'gpu01'
    marker = tmp_path / 'pwned'
    host = slurm_first_host(f'gpu02; touch {marker}')
    assert host == 'gpu02;' and not marker.exists()  # passed as text, not run


def test_known_harmless_messages_are_quiet_and_only_those():
    """Fix 7: mmcv-lite's MultiScaleDeformableAttention import warning and mmengine's
    FileClient / HardDiskBackend deprecation lines are gone; other warnings and log lines of
    the same functions still print."""
    code = (
        'import warnings, logging\n'
        'import mmnoisy.all_modules\n'
        'from mmengine.fileio import FileClient\n'
        'from mmengine.fileio.file_client import HardDiskBackend, print_log\n'
        "FileClient(backend='disk'); HardDiskBackend()\n"
        "print_log('another file-client line', logger='current', level=logging.WARNING)\n"
        "warnings.warn('Fail to import something else')\n")
    proc = run_tool(sys.executable, '-c', code)
    out = proc.stdout + proc.stderr
    assert 'MultiScaleDeformableAttention' not in out
    assert 'will be deprecated in future' not in out and 'is the alias of' not in out
    assert 'another file-client line' in out and 'Fail to import something else' in out
