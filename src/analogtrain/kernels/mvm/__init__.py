"""The analog matrix-vector product: the MVM with its IO non-idealities (:mod:`.mvm`), the
converters, bound and noise management (:mod:`.io_management`), the non-ideal passes
(:mod:`.io_nonideal`) and the systematic per-tile IO draws (:mod:`.io_state`)."""
