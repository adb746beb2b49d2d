"""Install mmnoisy. Like OpenMMLab packages, configs/, tools/ and model-index.yml are copied
into mmnoisy/.mim so that an installed package can find its own configs."""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def version():
    scope = {}
    with open(osp.join(HERE, 'mmnoisy', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def requirements(path):
    out = []
    with open(osp.join(HERE, path)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line and not line.startswith('-r'):
                out.append(line)
    return out


def add_mim_extension():
    """Copy (wheel/sdist) or symlink (editable install) configs, tools, model-index.yml."""
    import sys
    mode = 'symlink' if ('develop' in sys.argv or 'editable_wheel' in sys.argv) else 'copy'
    if not {'install', 'bdist_wheel', 'sdist', 'build', 'develop', 'editable_wheel'} & set(
            sys.argv):
        return
    mim = osp.join(HERE, 'mmnoisy', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src, dst = osp.join(HERE, name), osp.join(mim, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        long_description = f.read()
    setup(
        name='mmnoisy',
        version=version(),
        description='OpenMMLab-style toolbox for learning with noisy labels',
        long_description=long_description,
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        package_data={'mmnoisy': ['.mim/**/*', '.mim/*']},
        python_requires='>=3.8',
        install_requires=requirements('requirements/runtime.txt'),
        extras_require={'tests': requirements('requirements/tests.txt'),
                        'optional': requirements('requirements/optional.txt')},
        zip_safe=False)
