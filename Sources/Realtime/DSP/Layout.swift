// Sample layout shared by DSP, the engine, the rings and the devices.
//
// Blocks are INTERLEAVED Float32 frames: L R L R … for stereo (the engine's only layout), with
// nominal full scale ±1.0. Interleaved was chosen because every endpoint speaks it natively
// (libsndfile reads, soxr, ALSA FLOAT_LE RW_INTERLEAVED, libebur128, LAME's interleaved float
// encoder), so no code path converts between layouts. Functions that work per frame take a
// `channels` count (default 2); a buffer holds `buffer.count / channels` frames.
//
// Everything in this module is allocation-free once constructed and safe on the render thread.

/// The channel count of the engine's render blocks.
package let engineChannels = 2
