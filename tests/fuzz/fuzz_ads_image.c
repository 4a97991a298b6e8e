/*
 * fuzz_ads_image.c: the sniffing of an uploaded ad image (src/ads.c): ads_image_type tells PNG,
 * JPEG, GIF, WebP and SVG by their bytes, and ads_image_size reads the pixel size from their
 * headers (PNG's IHDR, GIF's screen, JPEG's segments, WebP's chunks, an SVG root's attributes).
 * Input: the file.
 *
 * Checks: a type found has an extension; ads_image_size, called for every type on the same
 * bytes (so each header parser meets every kind of input, not only its own magic), either fails
 * or gives a size of 1 to ADS_DIMENSION_MAX each way, and never reads outside the bytes (ASan:
 * the input is exactly its length).
 */
#include "ads.h"
#include "fuzz.h"

/* One input: the bytes of an uploaded file (the checks are at the top of the file). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"image/png", "image/jpeg", "image/gif", "image/webp",
                                        "image/svg+xml"};
    const char *type = ads_image_type(data, size);
    if (type)
        FUZZ_CHECK(ads_image_extension(type) != NULL);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int width = -1, height = -1;
        if (ads_image_size(types[i], data, size, &width, &height) == 0) {
            FUZZ_CHECK(width >= 1 && width <= ADS_DIMENSION_MAX);
            FUZZ_CHECK(height >= 1 && height <= ADS_DIMENSION_MAX);
        } else {
            FUZZ_CHECK(width == -1 && height == -1);
        }
    }
    return 0;
}
