"""Download a model of the zoo, or list the zoo (like ``mim download``).

python tools/misc/download.py NAME [--dest DIR]
    resolve NAME in model-index.yml, download its checkpoint into the cache (sha256 prefix
    in the file name verified; MMNOISY_CACHE or torch hub's checkpoints dir) or DIR, and
    print the config, the checkpoint and the command that tests it.
python tools/misc/download.py --list [--method CCL] [--dataset CIFAR-10] [--noise sym]
                                     [--with-weights]
    the zoo, one model a line under a header (method, training data, label noise, and the
    checkpoint, or the command that trains a model without one).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmnoisy.utils.model_zoo import (ROOT, filter_models, find_model,  # noqa: E402
                                     load_model_index)


def list_table(models):
    """The zoo as aligned text lines: a header, then one model a line; a model without a
    published checkpoint shows the command that trains it."""
    if not models:
        return ['no model matches']
    head = ('model', 'method', 'training data', 'label noise', 'weights')
    rows = [(m['name'], m['collection'] or '-', str(m['metadata'].get('Training Data', '-')),
             str(m['metadata'].get('Label Noise', '-')),
             'checkpoint' if m['weights'] else f"none: python tools/train.py {m['config']}")
            for m in models]
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head) - 1)]

    def line(r):
        return '  '.join(f'{v:{w}s}' for v, w in zip(r, widths)) + '  ' + r[-1]
    return [line(head), line(tuple('-' * w for w in widths) + ('-' * len(head[-1]), ))] + \
        [line(r) for r in rows]


def list_models(models):
    print('\n'.join(list_table(models)))


def download(name, dest=None, root=ROOT):
    """(config path, checkpoint path) of the model ``name``."""
    from mmnoisy.compat import download_checkpoint
    model = find_model(load_model_index(root), name)
    config = osp.join(root, model['config'])
    if not model['weights']:
        raise SystemExit(
            f"{name} has no published checkpoint (Weights is empty in {model['metafile']}); "
            f"train it with: python tools/train.py {model['config']}")
    return config, download_checkpoint(model['weights'], dest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('name', nargs='?', help='model name (see --list)')
    parser.add_argument('--dest', help='download into this folder instead of the cache')
    parser.add_argument('--root', default=ROOT,
                        help='the folder whose model-index.yml is read (default: this checkout)')
    parser.add_argument('--list', action='store_true', help='list the zoo')
    parser.add_argument('--method', help='--list: only this method (e.g. CCL)')
    parser.add_argument('--dataset', help='--list: training data containing this (e.g. CIFAR-10)')
    parser.add_argument('--noise', help='--list: label noise containing this (e.g. symmetric)')
    parser.add_argument('--with-weights', action='store_true',
                        help='--list: only models with a checkpoint')
    args = parser.parse_args(argv)
    if args.list:
        if args.name:
            parser.error('give a NAME or --list, not both')
        list_models(filter_models(load_model_index(args.root), args.method, args.dataset, args.noise,
                                  args.with_weights))
        return
    if not args.name:
        parser.error('give a model NAME, or --list to see them')
    if args.method or args.dataset or args.noise or args.with_weights:
        parser.error('--method/--dataset/--noise/--with-weights filter --list only')
    try:
        config, checkpoint = download(args.name, args.dest, args.root)
    except KeyError as e:
        raise SystemExit(e.args[0])
    print(f'config:     {osp.relpath(config)}\ncheckpoint: {checkpoint}\n'
          f'test it:    python tools/test.py {osp.relpath(config)} {checkpoint}')


if __name__ == '__main__':
    main()
