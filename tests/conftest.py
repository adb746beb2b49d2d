import os
import os.path as osp
import pickle
import socket
import subprocess
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def write_cifar10(root, num_train=50, num_test=20, seed=0):
    """The official cifar-10-batches-py layout with random images (labels cycle 0..9)."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    per = np.array_split(np.arange(num_train), 5)
    for b, idx in enumerate(per):
        batch = {'data': rng.integers(0, 256, (len(idx), 3072), dtype=np.uint8),
                 'labels': [int(i % 10) for i in idx]}
        with open(osp.join(folder, f'data_batch_{b + 1}'), 'wb') as f:
            pickle.dump(batch, f)
    with open(osp.join(folder, 'test_batch'), 'wb') as f:
        pickle.dump({'data': rng.integers(0, 256, (num_test, 3072), dtype=np.uint8),
                     'labels': [i % 10 for i in range(num_test)]}, f)
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({'label_names': [f'c{i}' for i in range(10)]}, f)
    return root


def write_cifar100(root, num_train=200, num_test=100, seed=0):
    """cifar-100-python with random images; fine label i belongs to superclass i % 20."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    for name, num in (('train', num_train), ('test', num_test)):
        fine = [i % 100 for i in range(num)]
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump({'data': rng.integers(0, 256, (num, 3072), dtype=np.uint8),
                         'fine_labels': fine, 'coarse_labels': [c % 20 for c in fine]}, f)
    with open(osp.join(folder, 'meta'), 'wb') as f:
        pickle.dump({'fine_label_names': [f'f{i}' for i in range(100)]}, f)
    return root


@pytest.fixture
def cifar10_root(tmp_path):
    return write_cifar10(str(tmp_path / 'cifar10'))


@pytest.fixture
def cifar100_root(tmp_path):
    return write_cifar100(str(tmp_path / 'cifar100'))


def free_port():
    """A TCP port free right now, chosen by the kernel (a random pick can collide with the
    ephemeral ports that gloo connections and test servers are using)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def run_tool(*args, timeout=600, check=True, env=None):
    """Run a command from the repository root with this interpreter first on PATH."""
    full_env = dict(os.environ)
    full_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + full_env.get('PATH', '')
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    cmd = list(args)
    if cmd[0].endswith('.py'):
        cmd = [sys.executable] + cmd
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{cmd} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n'
                             f'{proc.stderr[-6000:]}')
    return proc


# config lines of a 2-process co-training test: the usual hooks plus RankCheckHook, which
# writes whether each rank ends with rank 0's networks and confidence tables
RANK_CHECK_HOOKS = (
    "custom_imports = dict(imports=['tests.rank_check_hook'])\n"
    "custom_hooks = [dict(type='CoTrainingHook'),\n"
    "  dict(type='SampleRecordHook', mode='pass', begin_epoch='warmup',\n"
    "       pipeline='train_weak', signals=dict(loss=1)),\n"
    "  dict(type='GMMConfidenceHook', signal='loss', begin_epoch='warmup'),\n"
    "  dict(type='RankCheckHook')]\n")


def dist_train(config, work_dir, *cfg_options):
    """tools/dist_train.sh with 2 CPU processes on a free port; checks that the run was
    distributed and returns its log."""
    proc = run_tool('bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir),
                    '--cfg-options', *cfg_options, env={'PORT': free_port()})
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, log[-3000:]
    return log


def dist_train_ranks_agree(config, work_dir, epochs=3):
    """``dist_train`` of a co-training config with RANK_CHECK_HOOKS (1 warm-up epoch): checks
    that both networks and the confidence tables ended equal on both ranks; returns the log."""
    log = dist_train(config, work_dir, f'train_cfg.max_epochs={epochs}', 'model.warmup_epochs=1',
                     f'param_scheduler.T_max={epochs}')
    for rank in (0, 1):
        text = (work_dir / f'rank_check_{rank}.txt').read_text()
        assert text.strip() == 'net1 equal\nnet2 equal\ntrust equal', text
    return log


def resume_matches(cfg, killed, tmp_path, opts, last_epoch):
    """Run ``killed`` (``cfg`` plus tests.kill_hook's KillAfterEpoch) in tmp_path/b, resume it
    with ``cfg`` and check that its final weights equal those of the uninterrupted run already
    in tmp_path/a; returns both final checkpoints."""
    import torch
    proc = run_tool('tools/train.py', str(killed), '--work-dir', str(tmp_path / 'b'), *opts,
                    check=False)
    assert proc.returncode == 17, (proc.stdout + proc.stderr)[-3000:]
    run_tool('tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'b'), '--resume', *opts)
    a = torch.load(tmp_path / 'a' / f'epoch_{last_epoch}.pth', weights_only=False)
    b = torch.load(tmp_path / 'b' / f'epoch_{last_epoch}.pth', weights_only=False)
    for key in a['state_dict']:
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    return a, b


class FileServer:
    """An HTTP server on 127.0.0.1 serving ``files`` ({name: bytes}); the first
    ``cut_short`` responses send half of the file under the full Content-Length and close
    the connection (a download cut short). ``requests`` counts the GETs."""

    def __init__(self, files, cut_short=0):
        import http.server
        import threading
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                data = server.files.get(self.path.lstrip('/'))
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                if server.cut_short > 0:
                    server.cut_short -= 1
                    self.wfile.write(data[:len(data) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.files, self.cut_short, self.requests = dict(files), cut_short, 0
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    """``file_server(files, cut_short=0)`` -> a running :class:`FileServer`, shut down at
    the end of the test."""
    servers = []

    def start(files, cut_short=0):
        servers.append(FileServer(files, cut_short))
        return servers[-1]

    yield start
    for s in servers:
        s.close()
