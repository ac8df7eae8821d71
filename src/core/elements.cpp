// placeholder; replaced by the structures work
