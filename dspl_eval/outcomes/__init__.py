"""What each initiative's report computes and shows, beyond the common building blocks
in :mod:`dspl_eval.reporting`. One module per initiative."""
