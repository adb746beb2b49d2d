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
   ours (after ``import mmnoisy``; ``tools/train.py`` imports it first).
5. A ``collate_fn`` from an inherited config. Such a config marks every ``type`` dict with
   ``_scope_='mmnoisy'``, and mmengine's ``build_dataloader`` passes all keys of
   ``collate_fn`` but ``type`` to the function (``default_collate(..., _scope_=...)``:
   TypeError on the first batch). :func:`unscoped_collate_fn` drops the scope, which
   ``NoisyRunner.build_dataloader`` applies.
"""
import hashlib
import os
import os.path as osp
import re
import shutil
import tempfile
from urllib.parse import urlparse

import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointLoadError(RuntimeError):
    """A checkpoint that cannot be loaded safely or does not match the model."""


def _numpy_globals():
    """numpy classes that pickled arrays and scalars reference (numpy 1.x and 2.x)."""
    names = []
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    names += [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
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


def safe_torch_load(path, map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` and the allow-list above."""
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises UnpicklingError or RuntimeError here
        if 'weights_only' not in str(err) and 'Unsupported global' not in str(err):
            raise
        found = re.findall(r'GLOBAL ([\w.]+)', str(err))
        raise CheckpointLoadError(
            f'refusing to load {path}: it contains objects outside the safe allow-list '
            f'({", ".join(found) or "see below"}). mmnoisy loads checkpoints with '
            'weights_only=True; if you trust this file, add the class to '
            f'mmnoisy.compat.SAFE_GLOBALS.\nOriginal error: {err}') from None


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


def download_checkpoint(url, cache_dir=None, attempts=2):
    """Download ``url`` into the cache (once) and return the local path.

    The file is written under a temporary name and moved into place only when complete
    and, if its name carries a sha256 prefix, only when the hash matches. A failed or
    truncated download is tried ``attempts`` times in all, then raises
    :class:`CheckpointLoadError` naming the URL and the last error; nothing partial is left
    in the cache. A complete file whose hash does not match its name is refused at once.
    """
    from http.client import HTTPException
    from urllib.error import URLError
    cache_dir = cache_dir or checkpoint_cache_dir()
    os.makedirs(cache_dir, exist_ok=True)
    name = osp.basename(urlparse(url).path) or 'checkpoint.pth'
    dst = osp.join(cache_dir, name)
    match = HASH_IN_NAME.search(name)
    if osp.isfile(dst):
        if not match or sha256_of(dst).startswith(match.group(1)):
            return dst
        os.remove(dst)
    for attempt in range(1, attempts + 1):
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f'.{name}.', suffix='.part')
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


def load_http(filename, map_location=None, model_dir=None, progress=False):
    rank, world_size = get_dist_info()
    if rank == 0:
        path = download_checkpoint(filename, model_dir)
    if world_size > 1:
        torch_dist.barrier()
        if rank > 0:
            path = download_checkpoint(filename, model_dir)
    return safe_torch_load(path, map_location)


def register_checkpoint_loaders():
    CheckpointLoader.register_scheme(prefixes='', loader=load_local, force=True)
    CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=load_http,
                                     force=True)


def check_state_dict_matches(model, state_dict, source='checkpoint'):
    """Raise a readable error when ``state_dict`` does not fit ``model``.

    Keys are compared after stripping a DDP ``module.`` prefix. Returns nothing when every
    parameter and buffer of the model is present with the same shape.
    """
    own = model.state_dict()
    theirs = {re.sub(r'^module\.', '', k): v for k, v in state_dict.items()}
    missing = [k for k in own if k not in theirs]
    unexpected = [k for k in theirs if k not in own]
    shapes = [f'{k}: checkpoint {tuple(theirs[k].shape)} vs model {tuple(v.shape)}'
              for k, v in own.items()
              if k in theirs and hasattr(theirs[k], 'shape')
              and tuple(theirs[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or shapes):
        return
    lines = [f'{source} does not match the model built from the config:']
    if shapes:
        lines.append(f'  {len(shapes)} shape mismatches, e.g. ' + '; '.join(shapes[:3]) +
                     ' (different num_classes or backbone?)')
    if missing:
        lines.append(f'  {len(missing)} model keys missing from it, e.g. {missing[:3]}')
    if unexpected:
        lines.append(f'  {len(unexpected)} keys not in the model, e.g. {unexpected[:3]}')
    raise CheckpointLoadError('\n'.join(lines))


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
            import subprocess
            nodes = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {nodes} | head -n1')
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


register_checkpoint_loaders()
patch_adjust_hue()
enable_external_configs()

