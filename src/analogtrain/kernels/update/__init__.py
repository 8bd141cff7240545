"""The pulsed update: pulse trains and their scales (:mod:`.pulses`), the plain torch
reference (:mod:`.pulsed`), the choice of backend (:mod:`.backend`) and the compiled paths
generated from each device rule (:mod:`.rule_codegen`, :mod:`.rule_inputs`): numba on the
CPU (:mod:`.cpu`), Triton on CUDA (:mod:`.cuda`)."""
