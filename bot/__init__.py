"""Tencent Cloud MPS AIGC images and videos for Discord.

Layers, from the top: `cogs/` (slash commands) and `discord_app/` (the Discord layer) call
`services/` (what front ends call, Discord-free); below them `rules/`, `moderation/`,
`asks/` and `reports/`, then `engine/`, `mps/` and `storage/`; `config/`, `text/` and
`media/` serve all of them. `runtime.py` builds it all; `cli.py` is the command-line front
end. The README's "How it works" has the map.
"""
