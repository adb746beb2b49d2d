"""A class tree and the pair-LCA distance of NegScale, Eq. 1:

    D_pLCA(y, y') = |h(y) - h(LCA(y, y'))| + |h(y') - h(LCA(y, y'))|

h the depth of a node below the root. Trees come from a nested dict, a parent-child file (one
edge per line, so WordNet hierarchies can be brought as they are) or the built-in trees of
:mod:`mmnoisy.taxonomy.trees`.
"""
import os.path as osp
import pickle
from collections import Counter

import numpy as np

from . import trees as _trees

BUILTIN = ('cifar10', 'cifar100', 'cifar100_superclasses', 'animal10n', 'webvision_mini',
           'fashion_mnist')


class ClassTaxonomy:
    """A rooted tree over class names.

    Args:
        edges (iterable[tuple[str, str]]): (parent, child) pairs. Every node has at most one
            parent, there is exactly one root and no cycle; anything else is an error that
            names the offending nodes.
        classes (sequence[str], optional): the dataset's classes in label order (leaves or
            inner nodes of the tree); :meth:`plca_matrix` uses them by default.
    """

    def __init__(self, edges, classes=None):
        parent = {}
        children = {}
        for edge in edges:
            if len(edge) != 2:
                raise ValueError(f'a taxonomy edge is (parent, child), got {edge!r}')
            p, c = (str(x) for x in edge)
            if p == c:
                raise ValueError(f'taxonomy has a cycle: {c!r} is its own parent')
            if c in parent and parent[c] != p:
                raise ValueError(f'taxonomy node {c!r} has two parents ({parent[c]!r} and '
                                 f'{p!r}); pLCA needs a tree: keep one parent per node')
            parent[c] = p
            children.setdefault(p, [])
            if c not in children[p]:
                children[p].append(c)
        if not parent:
            raise ValueError('taxonomy has no edges')
        self._check_acyclic(parent)
        nodes = set(parent) | set(children)
        roots = sorted(n for n in nodes if n not in parent)
        if len(roots) != 1:
            raise ValueError(f'taxonomy must have exactly one root, found {len(roots)}: '
                             f'{roots[:10]}; add a common parent')
        self.root = roots[0]
        self.parent = parent
        self.children = children
        self.depth = {self.root: 0}
        for node in nodes:
            self._depth_of(node)
        self.classes = None if classes is None else tuple(str(c) for c in classes)
        if self.classes is not None:
            self._check_classes(self.classes)

    @staticmethod
    def _check_acyclic(parent):
        done = set()
        for start in parent:
            path, node = [], start
            seen = set()
            while node in parent and node not in done:
                if node in seen:
                    cycle = path[path.index(node):] + [node]
                    raise ValueError('taxonomy has a cycle: ' + ' -> '.join(map(repr, cycle)))
                seen.add(node)
                path.append(node)
                node = parent[node]
            done.update(path)

    def _depth_of(self, node):
        chain = []
        while node not in self.depth:
            chain.append(node)
            node = self.parent[node]
        d = self.depth[node]
        for n in reversed(chain):
            d += 1
            self.depth[n] = d
        return self.depth[chain[0]] if chain else d

    # --------------------------------------------------------------------- constructors
    @classmethod
    def from_nested(cls, tree, root='root', classes=None):
        """``{'vehicle': {'land': ['automobile', 'truck'], ...}, ...}`` under ``root``."""
        edges = []

        def walk(node, sub):
            if isinstance(sub, dict):
                for name, below in sub.items():
                    edges.append((node, name))
                    walk(name, below)
            elif isinstance(sub, (list, tuple)):
                for leaf in sub:
                    if isinstance(leaf, (dict, list, tuple)):
                        walk(node, leaf)
                    else:
                        edges.append((node, leaf))
            elif sub is not None:
                edges.append((node, sub))

        walk(root, tree)
        return cls(edges, classes=classes)

    @classmethod
    def from_file(cls, path, classes=None):
        """A parent-child file: one ``parent<TAB>child`` edge per line (two whitespace-
        separated tokens when there is no tab); ``#`` starts a comment."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'taxonomy file {path} does not exist')
        edges = []
        with open(path, encoding='utf-8') as f:
            for num, line in enumerate(f, 1):
                line = line.split('#', 1)[0].rstrip('\n')
                if not line.strip():
                    continue
                parts = [p.strip() for p in line.split('\t')] if '\t' in line else line.split()
                parts = [p for p in parts if p]
                if len(parts) != 2:
                    raise ValueError(f'{path}:{num}: expected "parent<TAB>child", got {line!r}')
                edges.append(tuple(parts))
        return cls(edges, classes=classes)

    @classmethod
    def cifar100(cls, data_root=None, grouped=True):
        """CIFAR-100's superclasses under a root (``grouped``: under our four groups, see
        ``trees.CIFAR100_GROUPS``). With ``data_root`` the fine -> coarse assignment is read
        from the dataset's own files (``cifar-100-python/train`` and ``meta``)."""
        from mmpretrain.datasets.categories import CIFAR100_CATEGORIES
        if data_root is None:
            supers = _trees.CIFAR100_SUPERCLASSES
            classes = tuple(CIFAR100_CATEGORIES)
        else:
            supers, classes = _read_cifar100_superclasses(data_root, _trees.CIFAR100_COARSE)
        if grouped:
            unknown = set(supers) - {s for g in _trees.CIFAR100_GROUPS.values() for s in g}
            if unknown:
                raise ValueError(f'superclasses {sorted(unknown)} are in no group of '
                                 'trees.CIFAR100_GROUPS; use grouped=False')
            tree = {g: {s: supers[s] for s in members if s in supers}
                    for g, members in _trees.CIFAR100_GROUPS.items()}
        else:
            tree = supers
        return cls.from_nested(tree, classes=classes)

    @classmethod
    def builtin(cls, name, **kwargs):
        if name == 'cifar10':
            return cls.from_nested(_trees.CIFAR10_TREE, classes=_trees.CIFAR10_CLASSES)
        if name == 'cifar100':
            return cls.cifar100(grouped=True, **kwargs)
        if name == 'cifar100_superclasses':
            return cls.cifar100(grouped=False, **kwargs)
        if name == 'animal10n':
            return cls.from_nested(_trees.ANIMAL10N_TREE, classes=_trees.ANIMAL10N_CLASSES)
        if name == 'webvision_mini':
            return cls.from_nested(_trees.WEBVISION_MINI_TREE,
                                   classes=_trees.WEBVISION_MINI_CLASSES)
        if name == 'fashion_mnist':
            return cls.from_nested(_trees.FASHION_MNIST_TREE,
                                   classes=_trees.FASHION_MNIST_CLASSES)
        raise ValueError(f'unknown built-in taxonomy {name!r}; built-in: {BUILTIN} (or give '
                         'a parent-child file)')

    # ---------------------------------------------------------------------------- queries
    def ancestors(self, node):
        """``node`` and its ancestors up to the root, nearest first."""
        if node not in self.depth:
            raise KeyError(f'{node!r} is not in the taxonomy')
        out = [node]
        while out[-1] in self.parent:
            out.append(self.parent[out[-1]])
        return out

    def lca(self, a, b):
        up = set(self.ancestors(a))
        return next(n for n in self.ancestors(b) if n in up)

    def plca(self, a, b):
        """Eq. 1 for two nodes."""
        h = self.depth[self.lca(a, b)]
        return abs(self.depth[a] - h) + abs(self.depth[b] - h)

    def _check_classes(self, classes):
        missing = [c for c in classes if c not in self.depth]
        if missing:
            raise ValueError(f'the taxonomy lacks {len(missing)} of the {len(classes)} classes: '
                             f'{missing[:10]}{" ..." if len(missing) > 10 else ""}')
        dup = sorted(c for c, n in Counter(classes).items() if n > 1)
        if dup:
            raise ValueError(f'classes {dup} appear more than once')

    def plca_matrix(self, classes=None):
        """(C, C) int64 array of Eq. 1 over ``classes`` (default: the taxonomy's classes),
        computed from root-to-node paths at once (C x C x depth comparisons)."""
        classes = self.classes if classes is None else tuple(str(c) for c in classes)
        if classes is None:
            raise ValueError('give the classes (label order) whose pLCA matrix is wanted')
        self._check_classes(classes)
        paths = [list(reversed(self.ancestors(c))) for c in classes]
        width = max(len(p) for p in paths)
        ids = {n: i for i, n in enumerate(self.depth)}
        table = np.full((len(classes), width), -1, np.int64)
        for row, path in enumerate(paths):
            table[row, :len(path)] = [ids[n] for n in path]
        same = (table[:, None, :] == table[None, :, :]) & (table[:, None, :] >= 0)
        # common prefix length = depth of the LCA + 1 (the root is shared by all)
        lca_depth = np.cumprod(same, axis=2).sum(axis=2) - 1
        depth = np.array([len(p) - 1 for p in paths], np.int64)
        return (depth[:, None] - lca_depth) + (depth[None, :] - lca_depth)

    def levels(self, classes=None):
        """The distinct pLCA values between different classes (for choosing eta)."""
        d = self.plca_matrix(classes)
        return sorted(set(d[~np.eye(len(d), dtype=bool)].tolist()))


def _read_cifar100_superclasses(data_root, coarse_names):
    folder = osp.join(data_root, 'cifar-100-python')
    train, meta = osp.join(folder, 'train'), osp.join(folder, 'meta')
    for path in (train, meta):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} is missing: data_root must hold the official '
                                    'cifar-100-python/ folder (train, meta)')
    with open(train, 'rb') as f:
        data = pickle.load(f, encoding='latin1')
    with open(meta, 'rb') as f:
        info = pickle.load(f, encoding='latin1')
    names = list(info['fine_label_names'])
    coarse = list(info.get('coarse_label_names') or coarse_names)
    fine_l = np.asarray(data['fine_labels'])
    coarse_l = np.asarray(data['coarse_labels'])
    supers = {}
    for f_id in range(len(names)):
        owners = np.unique(coarse_l[fine_l == f_id])
        if len(owners) != 1:
            raise ValueError(f'{train}: fine class {names[f_id]!r} has coarse labels '
                             f'{owners.tolist()}; expected exactly one')
        supers.setdefault(coarse[int(owners[0])], []).append(names[f_id])
    return supers, tuple(names)


def build_taxonomy(cfg):
    """A ``ClassTaxonomy`` from a config value: an instance, a built-in name, a parent-child
    file path, a nested dict, or ``dict(source=NAME_OR_PATH_OR_TREE, classes=..., **kw)``
    (``data_root`` for 'cifar100' reads the dataset's own superclasses)."""
    if isinstance(cfg, ClassTaxonomy):
        return cfg
    classes, kwargs = None, {}
    if isinstance(cfg, dict) and 'source' in cfg:
        cfg = dict(cfg)
        source = cfg.pop('source')
        classes = cfg.pop('classes', None)
        kwargs = cfg
    else:
        source = cfg
    if isinstance(source, dict):
        if kwargs:
            raise ValueError(f'unknown taxonomy options {sorted(kwargs)} for a nested tree')
        return ClassTaxonomy.from_nested(source, classes=classes)
    if not isinstance(source, str):
        raise TypeError(f'taxonomy must be a built-in name, a file or a nested dict, got '
                        f'{type(source).__name__}')
    if source in BUILTIN:
        tax = ClassTaxonomy.builtin(source, **kwargs)
        if classes is not None:
            tax._check_classes(tuple(classes))
            tax.classes = tuple(classes)
        return tax
    if kwargs:
        raise ValueError(f'unknown taxonomy options {sorted(kwargs)} for file {source}')
    if osp.isfile(source) or osp.sep in source or source.endswith(('.txt', '.tsv')):
        return ClassTaxonomy.from_file(source, classes=classes)
    raise ValueError(f'unknown built-in taxonomy {source!r}; built-in: {BUILTIN} (or give a '
                     'parent-child file)')
