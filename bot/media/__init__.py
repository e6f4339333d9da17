"""Audio and video work that needs no Discord: transcoding results to fit upload limits."""
