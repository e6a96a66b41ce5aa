"""`bunny export`: a character's dataset copied into the layout a LoRA trainer reads as it is.

One module per layout (kohya sd-scripts, OneTrainer, ai-toolkit, Hugging Face imagefolder),
each a class with one job; `registry` maps the format to its layout. The library and the
database are only read; files land in a new folder per character, hard-linked where the file
system allows (`export_folder`), and nothing already in the target is overwritten.
"""
