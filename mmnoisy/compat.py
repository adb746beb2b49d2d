"""The few fixes the pinned stack (mmengine 0.10.7, torch >= 2.6) needs; nothing else.

1. Checkpoints. torch >= 2.6 loads with ``weights_only=True`` by default and refuses the
   objects in mmengine's full checkpoints (message hub history buffers, numpy values), so
   ``--resume``, ``load_from`` and ``tools/test.py work_dirs/.../epoch_N.pth`` fail. We keep
   ``weights_only=True`` and allow exactly the classes those checkpoints hold
   (:data:`SAFE_GLOBALS`); anything else in a pickle is refused, so a checkpoint from a URL
   cannot run code. Local paths and http(s) URLs are served by the loaders registered here.
2. Distributed training without CUDA. mmengine's ``init_dist`` calls
   ``torch.cuda.set_device`` unconditionally and wraps models with
   ``device_ids=[LOCAL_RANK]``, which DDP rejects for CPU modules. :func:`init_cpu_dist`
   and :func:`cpu_ddp_cfg` are used by :class:`mmnoisy.engine.NoisyRunner`.
3. Hue jitter with numpy 2. mmcv's ``adjust_hue`` adds ``np.uint8(hue_factor * 255)``, which
   numpy 2 refuses for a negative factor (OverflowError), so mmpretrain's ``ColorJitter``
   with ``hue > 0`` (SimCLR's views) fails on about half of the images.
   :func:`adjust_hue` rotates the hue channel modulo 256 instead (what numpy 1 did).
4. Inheriting this package's configs. mmengine resolves ``_base_ = 'mmnoisy::ccl/x.py'`` only
   for the packages in its own table (``MODULE2PACKAGE``), and finds a package's ``.mim``
   folder beside the installed distribution, which an editable install (``pip install -e``)
   does not have. :func:`enable_external_configs` adds ``mmnoisy`` to the table and points
   mmengine at this package's folder, so a user's config outside the checkout can start from
   ours (once the patches are applied; ``tools/train.py`` reads configs with ``load_config``).
5. A ``collate_fn`` from an inherited config. Such a config marks every ``type`` dict with
   ``_scope_='mmnoisy'``, and mmengine's ``build_dataloader`` passes all keys of
   ``collate_fn`` but ``type`` to the function (``default_collate(..., _scope_=...)``:
   TypeError on the first batch). :func:`unscoped_collate_fn` drops the scope, which
   ``NoisyRunner.build_dataloader`` applies.
6. Checkpoints written whole or not at all. mmengine writes ``epoch_N.pth`` in place, so a
   run killed while saving leaves a truncated file under the final name.
   :func:`atomic_save_checkpoint` writes a local checkpoint to a temporary file beside it and
   renames it into place (a rename within a folder is atomic); other backends as before.

7. Two harmless messages every run printed: mmcv-lite's "Fail to import
   ``MultiScaleDeformableAttention``" (an op no mmnoisy model uses) and mmengine's
   "``FileClient`` will be deprecated" / "``HardDiskBackend`` is the alias of ``LocalBackend``"
   (its own hooks still create a FileClient). :func:`quiet_known_messages` drops exactly those
   (a warnings filter on that message; the file client's ``print_log`` skips those two);
   every other warning is printed as before.

Nothing is patched on import: :func:`apply_patches` applies 1, 3, 4, 6 and 7 when mmnoisy's
modules register (``register_all_modules``, the registries' ``mmnoisy.all_modules``, importing
``mmnoisy.engine``) and when ``load_config`` reads a config.
"""
import hashlib
import os
import os.path as osp
import pickle
import re
import shutil
import tempfile
import zipfile
from urllib.parse import urlparse

import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointLoadError(RuntimeError):
    """A checkpoint that cannot be loaded safely or does not match the model."""


class DamagedCheckpointError(CheckpointLoadError):
    """A file that is not a complete checkpoint: empty, cut short, or not one at all."""


def _numpy_globals():
    """numpy classes that pickled arrays and scalars reference (numpy 1.x and 2.x)."""
    names = []
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    names += [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    # files pickled under numpy 1.x (the official CIFAR-10N / CIFAR-100N .pt files) name the
    # same functions by their old module, which numpy 2 keeps only as a deprecated alias
    names += [(multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
              (multiarray.scalar, 'numpy.core.multiarray.scalar')]
    dtype_classes = {type(np.dtype(t)) for t in (
        'bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
        'float16', 'float32', 'float64', 'complex64', 'complex128', 'U1', 'S1', 'O')}
    return names + sorted(dtype_classes, key=lambda c: c.__name__)


def history_buffer_getattr(obj, name):
    """Stands in for ``getattr`` while unpickling, for one use only.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle as
    ``getattr(HistoryBuffer, 'mean')``. A general ``getattr`` in the allow-list would let a
    crafted pickle walk from any allowed object to arbitrary code, so the GLOBAL is mapped to
    this function, which resolves nothing but HistoryBuffer's statistics methods.
    """
    if obj is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(HistoryBuffer, name)
    raise CheckpointLoadError(f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')


#: What a full mmengine checkpoint of this project may contain, and nothing more.
SAFE_GLOBALS = [HistoryBuffer, bytes] + _numpy_globals() + [  # bytes: empty arrays
    (history_buffer_getattr, 'builtins.getattr'),
    (history_buffer_getattr, '__builtin__.getattr'),
]


REDO = 'copy, download or save it again'
# the first bytes of a legacy (pre-zip) torch.save file: the pickled magic number
_LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)


def checkpoint_file_problem(path):
    """Why the file at ``path`` cannot be a complete ``torch.save`` file, or None: empty,
    a zip archive without its central directory (cut short), or neither format."""
    size = osp.getsize(path)
    if size == 0:
        return 'the file is empty'
    with open(path, 'rb') as f:
        head = f.read(len(_LEGACY_MAGIC))
    if head.startswith(b'PK\x03\x04'):
        if not zipfile.is_zipfile(path):
            return f'it was cut short ({size} bytes; the end of its zip archive is missing)'
        return None
    if head == _LEGACY_MAGIC:
        return None
    return 'it is neither a zip-format nor a legacy torch.save file'


def safe_torch_load(path, map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` and the allow-list above. A file that is not
    a complete checkpoint raises :class:`DamagedCheckpointError`, one that holds objects
    outside the allow-list :class:`CheckpointLoadError`; both name the file."""
    problem = checkpoint_file_problem(path)
    if problem:
        raise DamagedCheckpointError(f'{path} is not a complete checkpoint: {problem}; '
                                     f'{REDO}')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - every failure becomes one line naming the file
        text = str(err)
        if 'Unsupported global' in text or 'weights_only' in text:
            found = sorted(set(re.findall(r'GLOBAL ([\w.]+)', text)))
            if found:
                raise CheckpointLoadError(
                    f'refusing to load {path}: it holds objects outside the safe allow-list '
                    f'({", ".join(found)}); mmnoisy loads checkpoints with weights_only=True. '
                    'If you trust this file, add those classes to '
                    'mmnoisy.compat.SAFE_GLOBALS') from None
        first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
        raise DamagedCheckpointError(
            f'{path} is not a complete checkpoint: loading it failed '
            f'({type(err).__name__}: {first[:200]}); {REDO}') from None


def load_local(filename, map_location=None):
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    return safe_torch_load(filename, map_location)


# OpenMMLab publishes checkpoints as NAME-{sha256[:8]}.pth: the hash is verified.
HASH_IN_NAME = re.compile(r'-([a-f0-9]{8,})\.\w+$')


def checkpoint_cache_dir():
    return os.environ.get('MMNOISY_CACHE',
                          osp.join(torch.hub.get_dir(), 'checkpoints'))


def sha256_of(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url, path, timeout=60, chunk=1 << 20):
    """Stream ``url`` into ``path``; an error when fewer bytes arrive than the server's
    Content-Length announced (a download cut short)."""
    from urllib.request import Request, urlopen
    with urlopen(Request(url, headers={'User-Agent': 'mmnoisy'}), timeout=timeout) as r, \
            open(path, 'wb') as f:
        expected = r.headers.get('Content-Length')
        received = 0
        for block in iter(lambda: r.read(chunk), b''):
            f.write(block)
            received += len(block)
    if expected is not None and received != int(expected):
        raise OSError(f'download cut short: {received} of {expected} bytes')


def cache_path(url, cache_dir=None):
    """Where the checkpoint at ``url`` is cached. A name carrying a sha256 prefix
    (``NAME-{sha256[:8]}.pth``, verified on download) is its own key: ``CACHE/NAME``. Any other
    file is keyed by its URL, so that two URLs ending in the same name never share a file:
    ``CACHE/url-{sha256(url)[:16]}/NAME`` (the familiar name kept)."""
    cache_dir = cache_dir or checkpoint_cache_dir()
    name = osp.basename(urlparse(url).path) or 'checkpoint.pth'
    if HASH_IN_NAME.search(name):
        return osp.join(cache_dir, name)
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return osp.join(cache_dir, f'url-{key}', name)


def download_checkpoint(url, cache_dir=None, attempts=2, refresh=False):
    """Download ``url`` into the cache (once; again with ``refresh``) and return the local
    path (:func:`cache_path`).

    The file is written under a temporary name and moved into place only when complete
    and, if its name carries a sha256 prefix, only when the hash matches. A failed or
    truncated download is tried ``attempts`` times in all, then raises
    :class:`CheckpointLoadError` naming the URL and the last error; nothing partial is left
    in the cache. A complete file whose hash does not match its name is refused at once.
    """
    from http.client import HTTPException
    from urllib.error import URLError
    dst = cache_path(url, cache_dir)
    folder, name = osp.split(dst)
    os.makedirs(folder, exist_ok=True)
    match = HASH_IN_NAME.search(name)
    if osp.isfile(dst):
        if not refresh and (not match or sha256_of(dst).startswith(match.group(1))):
            return dst
        os.remove(dst)
    for attempt in range(1, attempts + 1):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{name}.', suffix='.part')
        os.close(fd)
        try:
            try:
                _fetch(url, tmp)
            except (URLError, HTTPException, OSError, ValueError) as e:  # ValueError: bad URL
                if attempt == attempts:
                    raise CheckpointLoadError(
                        f'could not download {url} ({attempts} attempts): {e}') from e
                continue
            if match and not sha256_of(tmp).startswith(match.group(1)):
                raise CheckpointLoadError(
                    f'{url}: sha256 of the downloaded file does not start with '
                    f'{match.group(1)} as its name says; the file is corrupt or was replaced')
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide a shared cache's files
            shutil.move(tmp, dst)
            return dst
        finally:
            if osp.exists(tmp):
                os.remove(tmp)


def _download_and_load(url, map_location, cache_dir):
    """A cached file that is not a complete checkpoint (a download cut short without a
    Content-Length, a disk error) is removed and fetched once more."""
    path = download_checkpoint(url, cache_dir)
    try:
        return safe_torch_load(path, map_location)
    except DamagedCheckpointError as err:
        first = str(err)
    path = download_checkpoint(url, cache_dir, refresh=True)
    try:
        return safe_torch_load(path, map_location)
    except DamagedCheckpointError as err:
        os.remove(path)
        raise DamagedCheckpointError(
            f'{url} is not a complete checkpoint, downloaded twice ({first}; then: {err}); '
            'removed from the cache') from None


def load_http(filename, map_location=None, model_dir=None, progress=False):
    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = _download_and_load(filename, map_location, model_dir)
    if world_size > 1:
        torch_dist.barrier()
        if rank > 0:
            checkpoint = _download_and_load(filename, map_location, model_dir)
    return checkpoint


def register_checkpoint_loaders():
    CheckpointLoader.register_scheme(prefixes='', loader=load_local, force=True)
    CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=load_http,
                                     force=True)


def unwrapped_state_dict(model, state_dict):
    """``state_dict`` with the keys mmengine's loader matches: without the ``module.``
    segments of DDP wrappers at any depth. A two-network learner under DDP wraps each network
    (``net1.module.backbone...``), mmengine saves ``model.state_dict()`` with those segments
    but loads by unwrapping every wrapper (``net1.backbone...``): left as saved, a resumed
    distributed run (or a single-process test of its checkpoint) loaded no weight at all."""
    from mmengine.runner.checkpoint import get_state_dict
    own = get_state_dict(model)

    def key(k):
        if k in own:
            return k
        bare = re.sub(r'(^|\.)module\.', r'\1', k)
        return bare if bare in own else k
    out = type(state_dict)((key(k), v) for k, v in state_dict.items())
    if hasattr(state_dict, '_metadata'):
        out._metadata = state_dict._metadata
    return out


def check_state_dict_matches(model, state_dict, source='checkpoint'):
    """Raise a readable error when ``state_dict`` does not fit ``model``.

    Keys are compared as mmengine's loader matches them (DDP ``module.`` segments removed,
    :func:`unwrapped_state_dict`). When every parameter and buffer of the model is present
    with the same shape, returns ``state_dict`` with those keys: the dict to load.
    """
    from mmengine.runner.checkpoint import get_state_dict
    own = get_state_dict(model)
    theirs = unwrapped_state_dict(model, state_dict)
    missing = [k for k in own if k not in theirs]
    unexpected = [k for k in theirs if k not in own]
    shapes = [f'{k}: checkpoint {tuple(theirs[k].shape)} vs model {tuple(v.shape)}'
              for k, v in own.items()
              if k in theirs and hasattr(theirs[k], 'shape')
              and tuple(theirs[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or shapes):
        return theirs
    lines = [f'{source} does not match the model built from the config:']
    if shapes:
        lines.append(f'  {len(shapes)} shape mismatches, e.g. ' + '; '.join(shapes[:3]) +
                     ' (different num_classes or backbone?)')
    if missing:
        lines.append(f'  {len(missing)} model keys missing from it, e.g. {missing[:3]}')
    if unexpected:
        lines.append(f'  {len(unexpected)} keys not in the model, e.g. {unexpected[:3]}')
    raise CheckpointLoadError('\n'.join(lines))


def slurm_first_host(nodes):
    """The first host of a Slurm node list (``node[1-4]``), by ``scontrol show hostnames``
    run without a shell (the list is passed as one argument, never interpreted)."""
    import subprocess
    proc = subprocess.run(['scontrol', 'show', 'hostnames', nodes], capture_output=True,
                          text=True, check=False)
    hosts = proc.stdout.split()
    if proc.returncode or not hosts:
        raise RuntimeError(f'scontrol show hostnames {nodes!r} failed ({proc.returncode}): '
                           f'{proc.stderr.strip() or "no host"}; set MASTER_ADDR')
    return hosts[0]


def init_cpu_dist(launcher):
    """Start a gloo process group for a CPU run (torchrun or Slurm environment)."""
    if torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            os.environ['MASTER_ADDR'] = slurm_first_host(os.environ['SLURM_NODELIST'])
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} is not supported without CUDA; '
                         "use 'pytorch' (tools/dist_train.sh) or 'slurm'")
    torch_dist.init_process_group(backend='gloo')


def cpu_ddp_cfg(model_wrapper_cfg, find_unused_parameters=False):
    """A DDP wrapper config for CPU modules: ``device_ids=None`` instead of the local rank."""
    cfg = dict(model_wrapper_cfg or dict(type='MMDistributedDataParallel',
                                         broadcast_buffers=False,
                                         find_unused_parameters=find_unused_parameters))
    cfg['device_ids'] = None
    return cfg


def adjust_hue(img, hue_factor, backend=None):
    """mmcv's ``adjust_hue`` for any factor in [-0.5, 0.5] under numpy 2: the hue channel
    (OpenCV's full 0-255 HSV) shifted by ``int(hue_factor * 255)`` modulo 256."""
    import cv2
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    if img.ndim == 2 or img.shape[-1] == 1:
        return img  # no hue in a grey image
    dtype = img.dtype
    h, s, v = cv2.split(cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL))
    h = ((h.astype(np.int16) + int(hue_factor * 255)) % 256).astype(np.uint8)
    return cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2BGR_FULL).astype(dtype)


def patch_adjust_hue():
    import mmcv
    import mmcv.image
    import mmcv.image.photometric
    for module in (mmcv, mmcv.image, mmcv.image.photometric):
        module.adjust_hue = adjust_hue


def enable_external_configs():
    from mmengine.config import config as config_module
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmnoisy', 'mmnoisy')
    original = config_module.get_installed_path
    if getattr(original, 'mmnoisy_patch', False):
        return

    def get_installed_path(package):
        if package == 'mmnoisy':
            return osp.dirname(osp.abspath(__file__))  # the imported package, editable or not
        return original(package)

    get_installed_path.mmnoisy_patch = True
    config_module.get_installed_path = get_installed_path


def unscoped_collate_fn(dataloader_cfg):
    """``dataloader_cfg`` (a dict) with ``_scope_`` removed from its ``collate_fn`` config (a
    copy when there is one to remove; the collate functions are mmengine's, found from any
    scope)."""
    collate = dataloader_cfg.get('collate_fn') if isinstance(dataloader_cfg, dict) else None
    if not isinstance(collate, dict) or '_scope_' not in collate:
        return dataloader_cfg
    dataloader_cfg = dict(dataloader_cfg)
    dataloader_cfg['collate_fn'] = {k: v for k, v in collate.items() if k != '_scope_'}
    return dataloader_cfg


def atomic_save_checkpoint(checkpoint, filename, file_client_args=None, backend_args=None):
    """mmengine's ``save_checkpoint`` for a local path: the bytes go to
    ``.{name}.part`` in the same folder, are flushed to disk, then renamed to ``filename``."""
    from mmengine.runner import checkpoint as mm_checkpoint
    local = '://' not in str(filename) and file_client_args is None and backend_args is None
    if not local:
        return mm_checkpoint.save_checkpoint(checkpoint, filename, file_client_args,
                                             backend_args)
    folder, name = osp.split(osp.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    part = osp.join(folder, f'.{name}.part')
    try:
        with open(part, 'wb') as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(part, filename)
    finally:
        if osp.exists(part):
            os.remove(part)


def patch_checkpoint_saving():
    import mmengine.runner.runner as mm_runner
    mm_runner.save_checkpoint = atomic_save_checkpoint


_applied = False


#: the start of each message :func:`quiet_known_messages` drops
KNOWN_HARMLESS = ('"FileClient" will be deprecated in future',
                  '"HardDiskBackend" is the alias of "LocalBackend"')


def quiet_known_messages():
    """Fix 7: drop the known-harmless third-party messages, only those."""
    import warnings

    import mmengine.fileio.file_client as file_client
    warnings.filterwarnings('ignore', message=r'Fail to import ``MultiScaleDeformableAttention``',
                            category=UserWarning)
    print_log = file_client.print_log
    if getattr(print_log, '_mmnoisy_quiet', False):
        return

    def quiet_print_log(msg, *args, **kwargs):
        if isinstance(msg, str) and msg.lstrip().startswith(KNOWN_HARMLESS):
            return None
        return print_log(msg, *args, **kwargs)
    quiet_print_log._mmnoisy_quiet = True
    file_client.print_log = quiet_print_log


def apply_patches():
    """Apply fixes 1, 3, 4, 6 and 7 to mmengine / mmcv (once; later calls do nothing).

    Called where mmnoisy's modules register (``mmnoisy.all_modules``, ``mmnoisy.engine``)
    and by ``mmnoisy.utils.tools.load_config``; ``import mmnoisy`` alone changes nothing, so
    the pure layers (``mmnoisy.noise``, ``mmnoisy.selection`` ...) import without side effects.
    """
    global _applied
    if _applied:
        return
    register_checkpoint_loaders()
    patch_adjust_hue()
    enable_external_configs()
    patch_checkpoint_saving()
    quiet_known_messages()
    _applied = True
