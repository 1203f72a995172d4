// DSP placeholder
