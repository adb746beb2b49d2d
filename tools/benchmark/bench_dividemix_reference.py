"""mmnoisy's DivideMix against the authors' training loop, on the same data, labels and network.

The authors' ``Train_cifar.py`` (github.com/LiJunnan1992/DivideMix; give its clone with
``--authors-repo``; nothing of it is copied here) is run unchanged in its logic, with the
edits that let it run on a CPU in this setting applied to its text in memory: no ``.cuda()``,
``next(iterator)`` for the Python 2 ``iterator.next()``, the size of the eval table from the
data, the network from ``build_network`` (mmnoisy's small CNN, built and initialised as in
mmnoisy), and, in place of its ``dataloader_cifar`` module, :class:`AuthorsLoaders`: the
loaders that module builds (same modes, batch sizes, shuffling and transforms), over the
training images and noisy labels mmnoisy's run uses (written to ``data.npz`` first).

mmnoisy's side runs ``tools/train.py`` on ``configs/dividemix/dividemix_smallcnn_cifar10_sym50.py``
with the comparison's settings (a config written to the cell's work dir): batching as the published configs
(``CoTrainingBatchSampler``), lr 0.02 constant, lambda_u 25, T 0.5, alpha 4, 10 warm-up epochs,
symmetric noise drawn from all classes (the authors' convention), test argmax(logits1 + logits2).
``--batching shared`` runs mmnoisy's other batching (one shared batch split by the tables).

    python tools/benchmark/bench_dividemix_reference.py DATA_ROOT --authors-repo DivideMix \
        --subset 5000 --epochs 30 --seeds 1 2

Each (side, seed) cell is kept in the work dir (``results.json``), so a killed run resumes.
Reports the mean test accuracy of the last 5 epochs and the SD over the last 10.
"""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
CONFIG = 'configs/dividemix/dividemix_smallcnn_cifar10_sym50.py'
NOISE = "type='symmetric', rate={rate}, seed=1, include_true_class=True"


def ours_config(args, seed):
    """mmnoisy's side: the CPU DivideMix config with the comparison's settings."""
    sampler = ("    batch_sampler=dict(type='CoTrainingBatchSampler', warmup_batch_size=128),\n"
               if args.batching == 'two_stream' else '')
    return (f"_base_ = ['{osp.join(ROOT, CONFIG)}']\n"
            "model = dict(warmup_epochs=10, lambda_u=25, test_mode='logits_sum')\n"
            "train_dataloader = dict(\n    batch_size=64, num_workers=0,\n" + sampler +
            f"    dataset=dict(noise=dict(_delete_=True, {NOISE.format(rate=args.rate)}),\n"
            f"                 dataset=dict(data_root='{args.data_root}', "
            f"indices={args.subset})))\n"
            f"val_dataloader = dict(num_workers=0, dataset=dict(data_root='{args.data_root}'))\n"
            "test_dataloader = val_dataloader\n"
            "optim_wrapper = dict(optimizer=dict(lr=0.02))\n"
            "param_scheduler = dict(_delete_=True, type='MultiStepLR', by_epoch=True, "
            "milestones=[100000])\n"
            f"train_cfg = dict(max_epochs={args.epochs})\n"
            f"randomness = dict(seed={seed})\n"
            "default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=100))\n")


def write_data(args, path):
    """The training subset with mmnoisy's noisy labels (built as mmnoisy's run builds them),
    and the test set, as arrays."""
    import numpy as np
    from mmengine.registry import init_default_scope

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.registry import DATASETS
    init_default_scope('mmnoisy')
    train = DATASETS.build(dict(
        type='NoisyLabelDataset',
        dataset=dict(type='CIFAR10', data_root=args.data_root, split='train',
                     indices=args.subset, pipeline=[]),
        noise=dict(type='symmetric', rate=args.rate, seed=1, include_true_class=True)))
    test = DATASETS.build(dict(type='CIFAR10', data_root=args.data_root, split='test',
                               pipeline=[]))
    imgs = np.stack([train.dataset.get_data_info(i)['img'] for i in range(len(train))])
    np.savez(path, train_x=imgs, train_y=train.get_gt_labels(), clean_y=train._clean,
             test_x=np.stack([test.get_data_info(i)['img'] for i in range(len(test))]),
             test_y=test.get_gt_labels())


# ----------------------------------------------------------- the authors' side (child process)
class AuthorsLoaders:
    """Stand-in for the authors' ``dataloader_cifar.cifar_dataloader``: ``run(mode, pred, prob)``
    gives the loaders their code asks for, built the way that module builds them."""

    def __init__(self, dataset, r, noise_mode, batch_size, num_workers, root_dir, log,
                 noise_file=''):
        import numpy as np
        import torchvision.transforms as T
        data = np.load(os.environ['REFERENCE_DATA'])
        self.train_x, self.train_y = data['train_x'], data['train_y']
        self.clean_y = data['clean_y']
        self.test_x, self.test_y = data['test_x'], data['test_y']
        self.batch_size, self.log = batch_size, log
        norm = T.Normalize((0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010))
        self.train_tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                                   T.ToTensor(), norm])
        self.test_tf = T.Compose([T.ToTensor(), norm])

    def run(self, mode, pred=(), prob=()):
        import numpy as np
        from torch.utils.data import DataLoader
        n = len(self.train_y)
        if mode == 'warmup':
            return DataLoader(_Images(self.train_x, self.train_y, self.train_tf, 'all'),
                              batch_size=self.batch_size * 2, shuffle=True)
        if mode == 'train':
            idx = np.flatnonzero(pred)
            rest = np.flatnonzero(1 - np.asarray(pred, np.int64))
            clean = self.train_y[idx] == self.clean_y[idx]
            self.log.write(f'labelled {len(idx)} of {n}, precision {clean.mean():.4f}\n')
            self.log.flush()
            lab = _Images(self.train_x[idx], self.train_y[idx], self.train_tf, 'labeled',
                          np.asarray(prob)[idx])
            unl = _Images(self.train_x[rest], self.train_y[rest], self.train_tf, 'unlabeled')
            return (DataLoader(lab, batch_size=self.batch_size, shuffle=True),
                    DataLoader(unl, batch_size=self.batch_size, shuffle=True))
        if mode == 'test':
            return DataLoader(_Images(self.test_x, self.test_y, self.test_tf, 'test'),
                              batch_size=self.batch_size, shuffle=False)
        if mode == 'eval_train':
            return DataLoader(_Images(self.train_x, self.train_y, self.test_tf, 'all'),
                              batch_size=self.batch_size, shuffle=False)
        raise ValueError(mode)


class _Images:

    def __init__(self, x, y, tf, mode, prob=None):
        self.x, self.y, self.tf, self.mode, self.prob = x, y, tf, mode, prob

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        from PIL import Image
        img, target = Image.fromarray(self.x[i]), int(self.y[i])
        if self.mode == 'labeled':
            return self.tf(img), self.tf(img), target, self.prob[i]
        if self.mode == 'unlabeled':
            return self.tf(img), self.tf(img)
        if self.mode == 'all':
            return self.tf(img), target, i
        return self.tf(img), target


def build_network(num_classes):
    """mmnoisy's small CNN (the comparison config's network), taking normalised tensors."""
    import torch.nn as nn
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmnoisy.all_modules  # noqa: F401
    from mmnoisy.registry import MODELS
    init_default_scope('mmnoisy')
    cfg = Config.fromfile(osp.join(ROOT, CONFIG)).model.network
    net = MODELS.build(cfg)
    net.init_weights()

    class Logits(nn.Module):

        def __init__(self):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x, mode='tensor')

    return Logits()


def authors_source(repo):
    """Their Train_cifar.py with the CPU edits (see the module docstring)."""
    text = open(osp.join(repo, 'Train_cifar.py')).read()
    edits = [
        (r'torch\.cuda\.set_device\(args\.gpuid\)', 'pass'),
        (r'\.cuda\(\)', ''),
        (r'(\w+)\.next\(\)', r'next(\1)'),
        (r'torch\.zeros\(50000\)', 'torch.zeros(len(eval_loader.dataset))'),
        (r'from PreResNet import \*', 'from tools.benchmark.bench_dividemix_reference import '
         'build_network'),
        (r'ResNet18\(num_classes=args\.num_class\)', 'build_network(args.num_class)'),
    ]
    for pattern, repl in edits:
        text, n = re.subn(pattern, repl, text)
        if n == 0:
            raise SystemExit(f'{repo}/Train_cifar.py: no match for {pattern!r}; not the '
                             'expected version of the authors\' code')
    return text


def run_authors_child(repo, args_list):
    import types
    module = types.ModuleType('dataloader_cifar')
    module.cifar_dataloader = AuthorsLoaders
    sys.modules['dataloader_cifar'] = module
    os.makedirs('checkpoint', exist_ok=True)
    sys.argv = ['Train_cifar.py'] + args_list
    code = compile(authors_source(repo), osp.join(repo, 'Train_cifar.py'), 'exec')
    exec(code, {'__name__': '__main__'})


# ------------------------------------------------------------------------------- the driver
def run_cell(args, side, seed, out_dir):
    work = osp.join(out_dir, f'{side}_seed{seed}')
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), PYTHONPATH=ROOT)
    if side == 'authors':
        env['REFERENCE_DATA'] = osp.abspath(osp.join(out_dir, 'data.npz'))
        cmd = [sys.executable, osp.abspath(__file__), '--child', args.authors_repo, '--',
               '--num_epochs', str(args.epochs - 1), '--r', str(args.rate), '--seed', str(seed),
               '--lambda_u', '25', '--lr', '0.02', '--data_path', 'unused']
        subprocess.run(cmd, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=open(osp.join(work, 'stderr.log'), 'w'))
        acc_file = [f for f in os.listdir(osp.join(work, 'checkpoint')) if f.endswith('_acc.txt')]
        text = open(osp.join(work, 'checkpoint', acc_file[0])).read()
        acc = [float(v) for v in re.findall(r'Accuracy:([\d.]+)', text)]
    else:
        config = osp.join(work, 'config.py')
        with open(config, 'w') as f:
            f.write(ours_config(args, seed))
        from tools.benchmark import harness
        run = harness.train(config, work, threads=args.threads, name=f'ours seed {seed}',
                            env=dict(os.environ, PYTHONPATH=ROOT))
        acc = [run['accuracy'][e] for e in sorted(run['accuracy'], key=int)]
    return acc


def summary(acc):
    return dict(last5=statistics.mean(acc[-5:]), sd10=statistics.pstdev(acc[-10:]),
                last=acc[-1], epochs=len(acc))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        return run_authors_child(sys.argv[2], sys.argv[4:])
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--authors-repo', required=True)
    parser.add_argument('--subset', type=int, default=5000)
    parser.add_argument('--rate', type=float, default=0.5)
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--sides', nargs='+', default=['authors', 'ours'])
    parser.add_argument('--batching', choices=['two_stream', 'shared'], default='two_stream')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/bench_dividemix_reference')
    args = parser.parse_args()
    args.data_root = osp.abspath(args.data_root)
    os.makedirs(args.work_dir, exist_ok=True)
    data = osp.join(args.work_dir, 'data.npz')
    if not osp.exists(data):
        write_data(args, data)
    results_file = osp.join(args.work_dir, 'results.json')
    results = json.load(open(results_file)) if osp.exists(results_file) else {}
    for side in args.sides:
        name = side if side == 'authors' else f'ours_{args.batching}'
        for seed in args.seeds:
            key = f'{name}/seed{seed}'
            if key in results:
                continue
            acc = run_cell(args, side if side == 'authors' else name, seed, args.work_dir)
            results[key] = dict(summary(acc), acc=acc)
            json.dump(results, open(results_file, 'w'), indent=1)
            print(key, json.dumps(summary(acc)), flush=True)
    for key, r in sorted(results.items()):
        print(f"{key:28s} last-5 mean {r['last5']:.2f}  last {r['last']:.2f}  "
              f"SD last 10 {r['sd10']:.2f}  ({r['epochs']} epochs)")


if __name__ == '__main__':
    main()
