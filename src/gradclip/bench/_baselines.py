"""What ``clip_grads`` is measured against besides PyTorch: the seed notebook's."""

from gradclip.seed import clip_grads as seed_clip_grads

__all__ = ["seed_clip_grads"]
