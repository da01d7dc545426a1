"""Issue 22's peer rows for peers_compare.py, in PyTorch (functorch 1.13 and
torch.func 2.x) and, for sorting and scans, JAX: per-sample gradients of the
small transformer and LSTM of models_benchmark.cc (batch 32, sequence 64,
vocabulary 64, d_model 64; next-token cross-entropy through functional_call
under vmap(grad)), and sort / top-10 / cumsum of 1e6 float32 (one row of
1e6 and 1000 rows of 1000, as sort_benchmark.cc)."""

V, D, HEADS, FF, S, B = 64, 64, 4, 256, 64, 32


def torch_rows(api):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    try:
        fcall = api.functional_call
    except AttributeError:  # functorch 1.13
        from torch.nn.utils.stateless import functional_call as fcall

    class TinyTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(V, D), nn.Embedding(S, D)
            self.layer = nn.TransformerEncoderLayer(
                D, HEADS, FF, dropout=0.0, batch_first=True, norm_first=True)
            self.norm, self.head = nn.LayerNorm(D), nn.Linear(D, V)
            self.register_buffer(
                "mask", torch.triu(torch.full((S, S), float("-inf")), 1))

        def forward(self, x):
            h = self.tok(x) + self.pos(torch.arange(x.shape[-1]))
            return self.head(self.norm(self.layer(h, src_mask=self.mask)))

    class TinyLstm(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(V, D)
            self.lstm = nn.LSTM(D, D, batch_first=True)
            self.head = nn.Linear(D, V)

        def forward(self, x):
            return self.head(self.lstm(self.tok(x))[0])

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, V, (B, S), generator=g)
    y = torch.randint(0, V, (B, S), generator=g)
    rows = {}
    for name, model in (("psg_transformer_b32_s64", TinyTransformer()),
                        ("psg_lstm_b32_s64", TinyLstm())):
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = dict(model.named_buffers())

        def loss(p, xi, yi, model=model, buffers=buffers):
            out = fcall(model, {**p, **buffers}, (xi.unsqueeze(0),))
            return F.cross_entropy(out.reshape(-1, V), yi.reshape(-1))

        psg = api.vmap(api.grad(loss), in_dims=(None, 0, 0))
        rows[name] = lambda psg=psg, params=params: psg(params, x, y)

    for rows_n in (1, 1000):
        t = torch.randn(rows_n, 1000000 // rows_n, generator=g)
        rows[f"sort_{rows_n}x{1000000 // rows_n}"] = (
            lambda t=t: torch.sort(t, dim=-1, stable=True)[0])
        rows[f"topk10_{rows_n}x{1000000 // rows_n}"] = (
            lambda t=t: torch.topk(t, 10, dim=-1)[0])
        rows[f"cumsum_{rows_n}x{1000000 // rows_n}"] = (
            lambda t=t: torch.cumsum(t, dim=-1))
    return rows


def jax_rows():
    import jax
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(0)
    rows = {}
    for rows_n in (1, 1000):
        t = jnp.asarray(rng.standard_normal((rows_n, 1000000 // rows_n),
                                            np.float32))
        for name, f in (("sort", lambda a: jnp.sort(a, axis=-1)),
                        ("topk10", lambda a: jax.lax.top_k(a, 10)[0]),
                        ("cumsum", lambda a: jnp.cumsum(a, axis=-1))):
            jf = jax.jit(f)
            rows[f"{name}_{rows_n}x{1000000 // rows_n}"] = (
                lambda jf=jf, t=t: jax.block_until_ready(jf(t)))
    return rows
