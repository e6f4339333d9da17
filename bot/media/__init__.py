"""Image and video work that needs no Discord: what Pillow raises for a bad file, and
transcoding results to fit upload limits."""
