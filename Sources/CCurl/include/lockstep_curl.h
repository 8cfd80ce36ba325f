#ifndef LOCKSTEP_CURL_H
#define LOCKSTEP_CURL_H

#include <curl/curl.h>

// curl_easy_setopt and curl_multi_setopt are variadic, which Swift cannot call: these typed setters wrap them.

/// Sets a `long` option (timeouts, flags).
CURLcode lockstep_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
/// Sets a `char *` option (URL, user agent). libcurl copies strings set this way, except CURLOPT_POSTFIELDS.
CURLcode lockstep_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
/// Sets a pointer option (write data, header lists, POSTFIELDS which is NOT copied).
CURLcode lockstep_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
/// Sets a `curl_off_t` option (POSTFIELDSIZE_LARGE).
CURLcode lockstep_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
/// Sets the write callback.
CURLcode lockstep_curl_easy_setopt_write_function(CURL *handle,
    size_t (*callback)(char *data, size_t size, size_t count, void *userdata));
/// Reads a `long` info field (response code).
CURLcode lockstep_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// Reads a `double` info field (total time).
CURLcode lockstep_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
/// Sets a `long` multi-handle option.
CURLMcode lockstep_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value);

#endif
