"""The model zoo: ``model-index.yml`` and the method metafiles it imports.

Each model is a dict with ``name``, ``collection`` (the method), ``config``, ``weights`` (a
URL or None), ``metadata`` (the metafile's Metadata), ``results`` / ``paper_results`` and
``metafile`` (where it is listed).
"""
import difflib
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_model_index(root=ROOT):
    """Every model of ``root/model-index.yml`` in the order of the metafiles."""
    import yaml
    index_path = osp.join(root, 'model-index.yml')
    if not osp.isfile(index_path):
        raise FileNotFoundError(f'no model index at {index_path}: run from a checkout of mmnoisy')
    with open(index_path) as f:
        index = yaml.safe_load(f) or {}
    models = []
    for metafile in index.get('Import', []):
        with open(osp.join(root, metafile)) as f:
            meta = yaml.safe_load(f) or {}
        for m in meta.get('Models') or []:
            models.append(dict(
                name=m['Name'], collection=m.get('In Collection'), config=m.get('Config'),
                weights=m.get('Weights'), metadata=m.get('Metadata') or {},
                results=m.get('Results'), paper_results=m.get('Paper Results'),
                metafile=metafile))
    return models


def find_model(models, name):
    """The model called ``name``; a KeyError that suggests close names otherwise."""
    by_name = {m['name']: m for m in models}
    if name in by_name:
        return by_name[name]
    close = difflib.get_close_matches(name, list(by_name), n=5, cutoff=0.6)
    close += [n for n in by_name if name.lower() in n.lower() and n not in close][:5]
    hint = ('; did you mean ' + ', '.join(close[:5]) + '?') if close else \
        '; list the zoo with tools/misc/download.py --list'
    raise KeyError(f'no model named {name!r} in model-index.yml{hint}')


def _norm(text):
    return ''.join(ch for ch in str(text).lower() if ch.isalnum())


def filter_models(models, method=None, dataset=None, noise=None, with_weights=False):
    """Models of ``method`` (the collection, or one of the model's Training Techniques: the
    digits demo of CCL is in the Demo collection) trained on ``dataset`` (case, '-' and '_'
    ignored: 'cifar10' is CIFAR-10, not CIFAR-100) whose label noise contains ``noise``
    (e.g. 'symmetric', '50%'); ``with_weights``: only those with a checkpoint."""
    def names(m, key):
        data = m['metadata'].get(key)
        return {_norm(d) for d in (data if isinstance(data, (list, tuple)) else [data])
                if d is not None}

    return [m for m in models
            if (method is None or _norm(method) in
                names(m, 'Training Techniques') | {_norm(m['collection'])})
            and (dataset is None or _norm(dataset) in names(m, 'Training Data'))
            and (noise is None or noise.lower() in str(m['metadata'].get('Label Noise')).lower())
            and (m['weights'] or not with_weights)]
