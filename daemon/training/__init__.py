"""Character LoRA training and generation (diffusers + peft), run in a separate process.

The daemon side (no torch needed to import):
- `policy`: `training_device(config)` (where a run may train now, or why it waits),
  `training_due(...)` (has a dataset grown enough for a new version), and the one reason a
  character trains or waits (`character_readiness`, `start_blocker`): the training job decides
  with them and `bunny status` / `bunny characters` explain with them;
  `character_facts`: what they need to know of a character, read the same way for both.
- `dataset_freeze`: validates a character's dataset folder and freezes it for one run.
- `run_folder`: where runs live (`library/characters/<name>/models/<name>-vN.partial/`, renamed
  to `<name>-vN/` once complete), the run's spec and its progress file.
- `training_process`: `prepare_run` then `TrainingProcess.start/poll/stop`: the worker process.
- `trigger`: `TrainingJob`, the daemon's scheduler job (when runs start, resume, stop);
  `run_outcomes`: how each run ended, into the `training_run` table;
  `training_requests`: `request_training` (`bunny train NAME`).

The worker side (`python -m daemon.training.worker RUN_FOLDER`): `base_model` (the one loader
of a base model, for training and generation), `buckets`, `lora_training` (the loop,
checkpoints, resume), `lora_files` and `kohya_keys` (the outputs), `generation` (sample images
and `bunny generate`).
"""
