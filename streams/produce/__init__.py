"""Producers: the calibrated simulator and the file replay, both sending through EventSender."""
