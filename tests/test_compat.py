import hashlib
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmnoisy.compat import (CheckpointLoadError, check_state_dict_matches, download_checkpoint,
                            safe_torch_load)


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
