// The tags of an audio file (ID3v2, Vorbis comments, FLAC, MP4, RIFF INFO…) through TagLib's
// property map, for Swift: TagLib is C++, and its C binding (1.13) reads only title, artist,
// album, comment, genre, year and track — not the ISRC or the label the rights reports need.
#ifndef REGIE_TAG_READER_H
#define REGIE_TAG_READER_H
#ifdef __cplusplus
extern "C" {
#endif

/// The file's tag properties as "KEY\tVALUE\n" lines (keys upper case as TagLib names them:
/// TITLE, ARTIST, ALBUM, ISRC, LABEL, COMPOSER, DATE…; a tab or line break inside a value becomes
/// a space), in a buffer to release with free(); NULL when TagLib cannot read the file.
char *regie_tag_properties(const char *path);

#ifdef __cplusplus
}
#endif
#endif
