import MFPipe
