// The C interface of the SentencePiece module (sentencepiece_module.cpp; why it is a module
// is said there). Errors are copied into `error` (at most error_size bytes, terminated).
#pragma once

#include <cstddef>

extern "C" {

// A processor for a serialized model, or null with the reason in `error`.
void* legrad_spm_load(const char* bytes, size_t size, char* error, size_t error_size);
void legrad_spm_free(void* processor);
int legrad_spm_eos_id(const void* processor);  // -1: the model has none
int legrad_spm_piece_count(const void* processor);
// The ids of `text` (UTF-8): their count, of which the first `capacity` are written to `ids`;
// -1 on error.
long legrad_spm_encode(const void* processor, const char* text, size_t size, int* ids,
                       size_t capacity, char* error, size_t error_size);

}  // extern "C"
