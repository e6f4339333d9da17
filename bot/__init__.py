"""Tencent Cloud MPS AIGC image generation for Discord."""
