"""Writing files so that a crash never leaves a half-written one behind."""
import os
import os.path as osp


def atomic_write(path, data: bytes):
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return path
