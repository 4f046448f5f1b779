/*
 * dtmf_rx: feeds raw 16-bit little-endian 8 kHz PCM (file argv[1]) to
 * spandsp's DTMF receiver in 160-sample frames, with its default settings,
 * and prints one line per digit: the sample count fed when it was reported
 * and the digit. Used only to compare ivrd's detector with spandsp's on the
 * same audio (dtmf/spandsp_compare_test.go); not part of ivrd.
 *
 *   gcc -O2 -o /tmp/dtmf_rx bench/spandsp/dtmf_rx.c -l:libspandsp.so.2
 *
 * The two prototypes are declared here so that only the runtime library
 * (Debian's libspandsp2) is needed, not its headers.
 */
#include <stdint.h>
#include <stdio.h>

typedef void (*digits_rx_callback_t)(void *user_data, const char *digits, int len);
void *dtmf_rx_init(void *s, digits_rx_callback_t callback, void *user_data);
int dtmf_rx(void *s, const int16_t amp[], int samples);

static long fed;

static void on_digits(void *user_data, const char *digits, int len)
{
    for (int i = 0; i < len; i++)
        printf("%ld %c\n", fed, digits[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dtmf_rx file.raw\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    void *rx = dtmf_rx_init(NULL, on_digits, NULL);
    int16_t frame[160];
    size_t n;
    while ((n = fread(frame, sizeof(int16_t), 160, f)) > 0) {
        fed += (long) n;
        dtmf_rx(rx, frame, (int) n);
    }
    fclose(f);
    return 0;
}
