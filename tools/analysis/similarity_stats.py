"""Mean cosine similarity of same-class, related (small pLCA) and unrelated (large pLCA) pairs
of a trained model's features: the dissimilarity-invariance statistic of NegScale (paper
Table 1 / Fig. 4). Compare a baseline and the same run with NegScale to see whether the
unrelated pairs stay apart and the related ones stop drifting together.

    python tools/analysis/similarity_stats.py CONFIG CHECKPOINT [--taxonomy cifar10]
        [--split test | train] [--labels clean | noisy] [--net net1] [--out stats.json]

The taxonomy defaults to the model's NegScale plug-in, if it has one. ``--split train``
extracts the training set with the test transform; ``--labels`` says which labels group the
pairs (clean labels are known only for synthetic noise / CIFAR-N).
"""
import argparse
import json
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--taxonomy', help='built-in name or parent-child file (default: the '
                        "model's NegScale taxonomy)")
    parser.add_argument('--eta-min', type=float, default=None)
    parser.add_argument('--eta-max', type=float, default=None)
    parser.add_argument('--split', choices=['test', 'train'], default='test')
    parser.add_argument('--labels', choices=['clean', 'noisy'], default='clean',
                        help='labels that group the pairs on --split train')
    parser.add_argument('--net', default=None, help='network of a co-training learner '
                        '(net1 / net2; default net1)')
    parser.add_argument('--max-samples', type=int, default=None)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--out', help='write the statistics to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='key=value overrides of the config (e.g. data roots)')
    return parser.parse_args(argv)


def _loader_cfg(cfg, args):
    import copy
    if args.split == 'test':
        return copy.deepcopy(cfg.test_dataloader)
    loader = copy.deepcopy(cfg.train_dataloader)
    test_pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    inner = loader.dataset.get('dataset', loader.dataset)
    inner.pipeline = test_pipeline
    return loader


def extract(model, loader, net, labels_kind, max_samples=None):
    """Features of ``net`` and the chosen labels over ``loader``."""
    import torch
    feats, labels = [], []
    seen = 0
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            if isinstance(inputs, (list, tuple)):
                inputs = inputs[0]
            outputs = model.record_outputs(inputs)
            name = net or next(iter(outputs))
            if name not in outputs:
                raise ValueError(f'--net {name}: the model has {sorted(outputs)}')
            feats.append(outputs[name][0].float().cpu())
            for s in data['data_samples']:
                if labels_kind == 'clean':
                    lab = s.metainfo.get('clean_label', int(s.gt_label))
                    if lab is not None and int(lab) < 0:
                        raise ValueError('the clean labels of this training set are unknown '
                                         '(real-world noise): use --labels noisy or '
                                         '--split test')
                    labels.append(int(lab))
                else:
                    labels.append(int(s.gt_label))
            seen += len(inputs)
            if max_samples and seen >= max_samples:
                break
    feats = torch.cat(feats)
    labels = torch.as_tensor(labels)
    if max_samples:
        feats, labels = feats[:max_samples], labels[:max_samples]
    return feats, labels


def main(argv=None):
    args = parse_args(argv)
    from mmengine.registry import init_default_scope
    from mmnoisy.engine import NoisyRunner

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.compat import check_state_dict_matches, safe_torch_load
    from mmnoisy.evaluation.similarity import pair_similarity_stats
    from mmnoisy.registry import MODELS
    from mmnoisy.taxonomy import build_taxonomy
    from mmnoisy.utils.tools import load_config

    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmnoisy'))
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint} does not exist')
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(cfg.model)
    state = safe_torch_load(args.checkpoint)
    state = state.get('state_dict', state)
    state = check_state_dict_matches(model, state, source=f'checkpoint {args.checkpoint}')
    model.load_state_dict(state)
    model.eval()

    plugin = next((a for a in getattr(model, 'aux_losses', []) if hasattr(a, 'taxonomy')),
                  None)
    if args.taxonomy is None and plugin is None:
        raise SystemExit('the model has no NegScale plug-in: give --taxonomy (a built-in name '
                         'such as cifar10, or a parent-child file)')
    taxonomy = build_taxonomy(args.taxonomy) if args.taxonomy else plugin.taxonomy
    eta_min = args.eta_min if args.eta_min is not None else (plugin.eta_min if plugin else 3)
    eta_max = args.eta_max if args.eta_max is not None else (plugin.eta_max if plugin else 5)

    loader_cfg = _loader_cfg(cfg, args)
    loader_cfg.update(batch_size=args.batch_size, num_workers=0, persistent_workers=False,
                      sampler=dict(type='DefaultSampler', shuffle=False))
    loader = NoisyRunner.build_dataloader(loader_cfg)
    classes = loader.dataset.metainfo.get('classes') or taxonomy.classes
    dist = taxonomy.plca_matrix(classes)
    labels_kind = 'noisy' if args.split == 'test' else args.labels
    feats, labels = extract(model, loader, args.net, labels_kind, args.max_samples)
    stats = pair_similarity_stats(feats, labels, dist, eta_min, eta_max)
    stats.update(config=args.config, checkpoint=args.checkpoint, split=args.split,
                 labels=labels_kind if args.split == 'train' else 'test', samples=len(labels),
                 eta_min=eta_min, eta_max=eta_max)
    print(f'{len(labels)} samples ({args.split}), pLCA eta_min={eta_min}, eta_max={eta_max}')
    for name, title in (('same_class', 'same class'), ('small_plca', 'small pLCA (related)'),
                        ('large_plca', 'large pLCA (unrelated)')):
        print(f'  {title:24s} mean cosine {stats[name]:.4f}   ({stats["pairs"][name]} pairs)')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        tmp = args.out + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(stats, f, indent=1)
        os.replace(tmp, args.out)
    return stats


if __name__ == '__main__':
    main()
