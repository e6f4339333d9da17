"""Everything that talks to Tencent Cloud MPS: the signer, the client, its errors and
request models. Knows nothing of Discord. (Its emulator is `mps_emulator/`, outside.)"""
