"""VRLVMix (Wang, Tu, Ding & Jiang): DivideMix whose labelled set comes from the variance of
loss-change ranks combined with the GMM split, balanced per class (ENN cleaning, k-NN mixup
pairs, Eq. 10's class weights), and, at high estimated noise, the SCAN loss on neighbours
mined by a self-supervised encoder (Eq. 12).

The selection is computed once per epoch by ``VRLVSelectionHook``; this learner reads its
tables by ``sample_idx``. The semi-supervised step is DivideMix's (co-refinement,
co-guessing, MixMatch, Eq. 11) with the mixup pairs as extra labelled rows.
"""
import numpy as np
import torch

from mmnoisy.models.losses import (mixmatch_lambda, mixmatch_losses, scan_loss,
                                   uniform_prior_penalty)
from mmnoisy.registry import MODELS
from mmnoisy.datasets.views import SampleFetcher
from .co_training import option_dict, take_rows
from .dividemix import DivideMix

SCAN_KEYS = ('neighbours', 'entropy_weight', 'weight', 'noise_rate')


@MODELS.register_module()
class VRLVMix(DivideMix):
    """Args:
        p_threshold (float): GMM clean probability above which a sample is in G_l (0.5).
        vrlv (bool): False = Table IV's "w/o VRLV": each network's D_c is its peer's GMM split
            (DivideMix), still balanced (read by ``VRLVSelectionHook``).
        balancing (bool): False = Table IV's "w/o balancing": D_x = D_c plus the whole
            supplementary set, no ENN, no mixup pairs, no class weights.
        class_balance (bool | None): weight each labelled row by Eq. 10's
            |D_x| / (|D_x^c| C) of its class (None = with balancing).
        scan (dict | None): the SCAN loss (Eq. 12) when the estimated noise rate 1 - r
            exceeds ``noise_rate``: ``dict(neighbours='neighbours.npy', entropy_weight=2.0,
            weight=0.05, noise_rate=0.6)``. ``neighbours`` is the (N, k) index file of
            ``tools/vrlvmix/mine_neighbours.py``; ``weight`` scales L_CLU added to Eq. 11
            (ScanMix runs SCAN as a separate pass with lr 0.001 against the main 0.02; one
            step of SGD on 0.05 L_CLU at lr 0.02 moves the weights as far).
        temperature, alpha, lambda_u, lambda_p, rampup_length: as DivideMix.

    Views: two weak views (``num_views`` = 2). The anchors of the mixup pairs and SCAN's
    neighbours are not in the batch; they are loaded through the training pipeline's weak
    view by ``fetch_samples``, built when ``CoTrainingHook`` binds the training set.
    """
    num_views = 2
    consumes = frozenset({'trust', 'labelled', 'pairs', 'pair_labels'})
    selection_hook = 'VRLVSelectionHook'
    record_hint = "pipeline='test', signals=dict(loss=11, pred=11, feature=1)"

    def __init__(self, vrlv=True, balancing=True, class_balance=None, scan=None, **kwargs):
        if kwargs.get('ccl') is not None:
            raise ValueError('VRLVMix does not take CCL terms (ccl=...)')
        if kwargs.get('aux_losses'):
            raise ValueError('VRLVMix does not take plug-in losses (aux_losses) yet')
        super().__init__(**kwargs)
        self.vrlv, self.balancing = bool(vrlv), bool(balancing)
        self.class_balance = self.balancing if class_balance is None else bool(class_balance)
        self.scan = None
        if scan is not None:
            scan = option_dict(scan, SCAN_KEYS, 'scan')
            if not scan.get('neighbours'):
                raise ValueError('SCAN needs the neighbour file of a self-supervised encoder: '
                                 "scan=dict(neighbours='.../neighbours.npy'), made by "
                                 'tools/vrlvmix/mine_neighbours.py')
            self.scan = dict(neighbours=str(scan['neighbours']),
                             entropy_weight=float(scan.get('entropy_weight', 2.0)),
                             weight=float(scan.get('weight', 0.05)),
                             noise_rate=float(scan.get('noise_rate', 0.6)))
            if self.scan['entropy_weight'] < 0 or self.scan['weight'] < 0:
                raise ValueError('scan entropy_weight and weight must be >= 0')
            if not 0 <= self.scan['noise_rate'] <= 1:
                raise ValueError(f"scan noise_rate must be in [0, 1], got "
                                 f"{self.scan['noise_rate']}")
        self.fetch_samples = None

    def selection_options(self):
        """What ``VRLVSelectionHook`` reads of this learner."""
        return dict(vrlv=self.vrlv, balancing=self.balancing, class_balance=self.class_balance,
                    scan=self.scan)

    def bind_training_set(self, dataset):
        """Load the anchors of the mixup pairs and SCAN's neighbours, which are not in the
        batch, through ``dataset``'s weak training view (``CoTrainingHook``)."""
        self.fetch_samples = SampleFetcher(dataset, self.data_preprocessor)

    def fetch(self, indices, device):
        if self.fetch_samples is None:
            raise RuntimeError('VRLVMix loads the anchors of its mixup pairs and SCAN '
                               'neighbours through the training set that CoTrainingHook binds; '
                               'add CoTrainingHook to custom_hooks')
        return self.fetch_samples(indices).to(device)

    def network_step(self, name, views, labels, sample_idx, lab, optim_wrapper, log):
        onehot = self.onehot(labels)
        device = views[0].device
        idx = sample_idx.cpu()
        net, wrapper = getattr(self, name), optim_wrapper[name]
        selected, w = self.batch_selection(name, sample_idx, device)
        lab = selected if lab is None else lab
        extra, pair_labels = self.pair_rows(name, views[0], idx, lab, device)
        px, pu = self.co_guess(name, views, lab, onehot, w)
        mixed_x, mixed_t, nx, _, _ = self.mix(name, views[0], views[1], lab, px, pu, extra)
        m = len(mixed_x)
        weights = self.row_weights(name, take_rows(labels, lab), pair_labels, m - nx, device)
        scan_in = self.scan_rows(name, views[0], idx, device)
        with wrapper.optim_context(net):
            inputs = torch.cat([mixed_x] + list(scan_in)) if scan_in else mixed_x
            logits = net(inputs, mode='tensor')
            logits_mix = logits[:m]
            lx, lu = mixmatch_losses(logits_mix, mixed_t, nx, weights)
            ramp = self.lambda_u_now()
            penalty = uniform_prior_penalty(logits_mix.softmax(1))
            loss = lx + ramp * lu + self.lambda_p * penalty
            if scan_in:
                k = len(scan_in[0])
                probs = logits[m:].softmax(1)
                l_clu, l_n, l_e = scan_loss(probs[:k], probs[k:], self.scan['entropy_weight'])
                loss = loss + self.scan['weight'] * l_clu
                log.update({f'{name}.loss_scan': l_clu.detach(),
                            f'{name}.scan_consistency': l_n.detach(),
                            f'{name}.scan_entropy': l_e.detach()})
        wrapper.update_params(loss)
        log.update({f'{name}.loss_x': lx.detach(), f'{name}.loss_u': lu.detach(),
                    f'{name}.penalty': penalty.detach(), f'{name}.loss': loss.detach(),
                    f'{name}.labelled': w.new_tensor(float(lab.float().mean())),
                    f'{name}.pairs': w.new_tensor(float(len(pair_labels)))})

    def pair_rows(self, name, x, idx, lab, device):
        """The batch's unlabelled samples that are the pool side of a mixup pair, mixed with
        their anchors (lambda from Beta(alpha, alpha), at least 1/2 on the anchor) and
        labelled with the anchor's class: ((inputs, targets) or None, labels)."""
        sel = self.selection(name)
        partner = sel.pairs[idx]
        has = (partner >= 0) & ~lab
        if not has.any():
            return None, torch.zeros(0, dtype=torch.long, device=device)
        anchors = self.fetch(partner[has].numpy(), device)
        lam = mixmatch_lambda(self.alpha, np.random.default_rng(
            [self.seed, self._iter, 7, self.networks.index(name)]))
        mixed = lam * anchors + (1 - lam) * take_rows(x, has)
        plabels = sel.pair_labels[idx][has].to(device)
        return (mixed, self.onehot(plabels)), plabels

    def row_weights(self, name, lab_labels, pair_labels, num_unlabelled, device):
        """Eq. 10's class weight of every row before mixing (both views of a labelled
        sample, the pairs), 1 for the unlabelled rows; None without class balancing."""
        table = self.selection(name).class_weights if self.class_balance else None
        if table is None:
            return None
        cw = table.to(device)
        wl = cw[lab_labels]
        return torch.cat([wl, wl, cw[pair_labels], cw.new_ones(num_unlabelled)])

    def scan_rows(self, name, x, idx, device):
        """(anchors, one random neighbour of each that shares its predicted class) for the
        SCAN loss, when it is on; () otherwise or when no row has such a neighbour."""
        table = self.selection(name).scan if self.scan is not None else None
        if table is None:  # SCAN off, or off this epoch
            return ()
        nbrs = table[idx].long()
        valid = nbrs >= 0
        rows = valid.any(dim=1)
        if not rows.any():
            return ()
        noise = torch.rand(nbrs.shape, generator=self.torch_generator('cpu', name))
        col = noise.masked_fill(~valid, -1.0).argmax(dim=1)
        chosen = nbrs[torch.arange(len(nbrs)), col][rows]
        return take_rows(x, rows), self.fetch(chosen.numpy(), device)
