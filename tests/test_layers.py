"""The package's layering (docs/design.md): the pure layers import without the engine, and
``import mmnoisy`` changes nothing in mmengine / mmcv until the modules register."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# layer -> the mmnoisy packages it must not import (at any depth of its modules, lazily too)
FORBIDDEN = {
    'noise': ('mmnoisy.engine', 'mmnoisy.datasets', 'mmnoisy.models', 'mmnoisy.selection',
              'mmnoisy.detection', 'mmnoisy.taxonomy', 'mmnoisy.evaluation'),
    'selection': ('mmnoisy.engine', 'mmnoisy.datasets', 'mmnoisy.models'),
    'detection': ('mmnoisy.engine', 'mmnoisy.datasets', 'mmnoisy.models'),
    'taxonomy': ('mmnoisy.engine', 'mmnoisy.datasets', 'mmnoisy.models'),
    'datasets': ('mmnoisy.engine', 'mmnoisy.models'),
    'evaluation': ('mmnoisy.engine', 'mmnoisy.models'),
    'models': ('mmnoisy.engine',),
}
# run in a fresh interpreter where importing any of these fails
BLOCK = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpretrain', 'sklearn', 'cleanlab')


def imported_modules(path, package):
    """Every module ``path`` imports (absolute names; relative imports resolved against
    ``package``), wherever the import statement is."""
    names = []
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            names.append(module)
            names += [f'{module}.{a.name}' for a in node.names]
    return names


def layer_violations(layer):
    found = []
    folder = osp.join(ROOT, 'mmnoisy', layer)
    for dirpath, _, files in os.walk(folder):
        package = 'mmnoisy.' + osp.relpath(dirpath, osp.join(ROOT, 'mmnoisy')).replace(os.sep, '.')
        for name in sorted(f for f in files if f.endswith('.py')):
            path = osp.join(dirpath, name)
            for module in imported_modules(path, package):
                if module.startswith(FORBIDDEN[layer]):
                    found.append(f'{osp.relpath(path, ROOT)} imports {module}')
    return found


@pytest.mark.parametrize('layer', sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer):
    assert layer_violations(layer) == []


def test_the_import_check_sees_relative_and_lazy_imports(tmp_path):
    module = tmp_path / 'm.py'
    module.write_text('from ..engine.utils import unwrap\n'
                      'def f():\n    from mmnoisy.datasets import cifar\n')
    names = imported_modules(str(module), 'mmnoisy.selection')
    assert 'mmnoisy.engine.utils' in names and 'mmnoisy.datasets.cifar' in names


def run_without(code, blocked=BLOCK):
    """Run ``code`` in a fresh interpreter where importing ``blocked`` raises ImportError."""
    guard = (
        'import sys\n'
        'class Block:\n'
        '    def find_spec(self, name, path=None, target=None):\n'
        f'        if name.split(".")[0] in {blocked!r}:\n'
        '            raise ImportError(f"blocked for this test: {name}")\n'
        'sys.meta_path.insert(0, Block())\n')
    return subprocess.run([sys.executable, '-c', guard + code], cwd=ROOT, capture_output=True,
                          text=True)


def test_noise_layer_runs_with_numpy_alone(tmp_path):
    """``mmnoisy.noise`` draws, saves and reads back noisy labels without torch, mmengine,
    mmcv, mmpretrain or scikit-learn installed."""
    path = tmp_path / 'noise.npz'
    proc = run_without(
        'import numpy as np\n'
        'import mmnoisy\n'
        'from mmnoisy.noise import apply_noise, read_label_array, save_noise\n'
        'clean = np.arange(1000) % 10\n'
        'r = apply_noise(dict(type="symmetric", rate=0.4, seed=3), clean, 10)\n'
        f'save_noise(r, {str(path)!r})\n'
        f'back = read_label_array({str(path)!r})\n'
        'assert (back == r.noisy_labels).all()\n'
        'print(round(float((r.noisy_labels != clean).mean()), 2))\n'
        'print(sorted(m for m in sys.modules if m.split(".")[0] in '
        f'{BLOCK!r}))\n')
    assert proc.returncode == 0, proc.stderr[-2000:]
    rate, loaded = proc.stdout.split('\n')[:2]
    assert rate == '0.4' and loaded == '[]'


def test_the_guard_blocks_what_it_names():
    proc = run_without('import mmnoisy.engine\n')
    assert proc.returncode != 0 and 'blocked for this test' in proc.stderr


def test_importing_mmnoisy_patches_nothing_until_modules_register():
    """compat's fixes (checkpoint loaders, hue, config inheritance, atomic saving) apply when
    the modules register, and once."""
    proc = subprocess.run([sys.executable, '-c', (
        'import mmcv.image.photometric as ph, mmengine.runner.runner as rr\n'
        'from mmengine.config.utils import MODULE2PACKAGE\n'
        'before = (ph.adjust_hue, rr.save_checkpoint)\n'
        'import mmnoisy, mmnoisy.noise, mmnoisy.selection, mmnoisy.detection\n'
        'print(ph.adjust_hue is before[0], rr.save_checkpoint is before[1], '
        '"mmnoisy" in MODULE2PACKAGE)\n'
        'from mmnoisy.utils import register_all_modules\n'
        'register_all_modules()\n'
        'from mmnoisy import compat\n'
        'print(ph.adjust_hue is compat.adjust_hue, '
        'rr.save_checkpoint is compat.atomic_save_checkpoint, "mmnoisy" in MODULE2PACKAGE)\n')],
        cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split('\n')[:2] == ['True True False', 'True True True']
