"""Turning what a member asked for into a valid MPS request, before any money is spent:
image and video options, prompt cleaning, reference images checked from their bytes."""
