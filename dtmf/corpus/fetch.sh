#!/usr/bin/env bash
# Builds the talk-off corpus the DTMF detector is measured on (issue 22):
# real recorded speech, music and sound effects out of Debian data
# packages, plus espeak-ng speech in every voice as a synthetic supplement
# and generated noise. Nothing here is committed: it all goes to the cache.
#
#   dtmf/corpus/fetch.sh            # into ${DTMF_CORPUS:-~/.cache/ivrd/dtmf-corpus}
#   DTMF_CORPUS=$PWD/corpus go test -run Corpus -v ./dtmf/
#
# Needs apt-get (the packages are fetched with `apt-get download`, pinned to
# the versions in debs.sha256 and checked against its checksums), dpkg-deb,
# sox with ogg support and espeak-ng. Each part is written twice:
#   parts/NAME.ul   8 kHz µ-law, band-limited to 300-3400 Hz (a phone line)
#   parts/NAME.s16  16 kHz 16-bit little-endian linear (a wideband call)
# and MANIFEST.tsv lists every part: kind, language, hours and checksums.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DTMF_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/ivrd/dtmf-corpus}
jobs=${JOBS:-2}
mkdir -p "$cache/debs" "$cache/src" "$cache/work" "$cache/parts"
cd "$cache"

for tool in apt-get dpkg-deb sox espeak-ng sha256sum; do
	command -v "$tool" >/dev/null || { echo "fetch.sh: $tool is not installed" >&2; exit 1; }
done

# 1. The packages, pinned and checked.
while read -r sum pkg version; do
	[ -n "$pkg" ] || continue
	deb=$(ls debs/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		(cd debs && apt-get download "$pkg=$version") ||
			{ echo "fetch.sh: cannot download $pkg=$version (run apt-get update; is the version still published?)" >&2; exit 1; }
		deb=$(ls debs/"${pkg}"_*.deb | head -n1)
	fi
	if [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$sum" ]; then
		echo "fetch.sh: $deb does not match its checksum in debs.sha256" >&2
		exit 1
	fi
	if [ ! -d "src/$pkg" ]; then
		mkdir -p "src/$pkg.tmp" && dpkg-deb -x "$deb" "src/$pkg.tmp" && mv "src/$pkg.tmp" "src/$pkg"
	fi
done <"$here/debs.sha256"

# 2. Which file goes to which part: "part<TAB>path" lines, sorted.
list=work/files.tsv
{
	# Fish Fillets NG dialogue: Czech, Dutch and English actors.
	find src/fillets-ng-data*/usr/share/games/fillets-ng/sound -name '*.ogg' \
		-regex '.*/\(cs\|nl\|en\)/[^/]*' |
		sed -E 's#^(.*/(cs|nl|en)/[^/]*)$#speech-\2\t\1#'
	# KLettres: letters and syllables read by native speakers.
	find src/klettres-data/usr/share/klettres -name '*.ogg' |
		sed -E 's#^(src/klettres-data/usr/share/klettres/([^/]+)/.*)$#speech-\2\t\1#'
	# KTuberling: object names read in many languages.
	find src/ktuberling-data/usr/share/ktuberling/sounds -name '*.ogg' |
		sed -E 's#^(src/ktuberling-data/usr/share/ktuberling/sounds/([^/@]+)[^/]*/.*)$#speech-\2\t\1#'
	# Tux Paint stamps: spoken descriptions (no suffix: English).
	find src/tuxpaint-stamps-default -name '*_desc*.ogg' |
		sed -E -e 's#^(.*_desc_([a-z]+)[^/]*\.ogg)$#speech-\2\t\1#' -e 's#^(.*_desc\.ogg)$#speech-en\t\1#'
	# Hedgewars voice packs (shouts and taunts).
	find src/hedgewars-data/usr/share/games/hedgewars/Data/Sounds/voices -name '*.ogg' |
		sed -E -e 's#^(.*/voices/(Default_)?(ru|uk|pl|es)/[^/]*)$#speech-\3\t\1#' \
			-e 's#^(.*/voices/Russian[^/]*/[^/]*)$#speech-ru\t\1#' -e 's#^([^\t]*/voices/[^/]*/[^/]*)$#speech-en\t\1#'
	find src/alsa-utils/usr/share/sounds/alsa -name '*.wav' ! -name 'Noise.wav' | sed 's#^#speech-en\t#'
	# Asterisk's voice prompts (people reading IVR prompts, numbers,
	# letters, dates), a part per language of their own: US English,
	# Mexican and Colombian Spanish, Canadian and European French, two
	# Italian voices, Russian. Their silence files are left out.
	find src/asterisk-core-sounds-*-wav src/asterisk-prompt-* -path '*/sounds/*' \
		\( -name '*.wav' -o -name '*.gsm' \) ! -path '*/silence/*' |
		sed -E -e 's#^(src/asterisk-core-sounds-([a-z]+)-wav/.*)$#speech-\2-prompts\t\1#' \
			-e 's#^(src/asterisk-prompt-([a-z]+)-[^/]*/.*)$#speech-\2-prompts\t\1#'
	# Music.
	find src/wesnoth-1.16-music -name '*.ogg' | sed 's#^#music-wesnoth\t#'
	find src/planetblupi-music-ogg -name '*.ogg' | sed 's#^#music-planetblupi\t#'
	find src/drascula-music -type f -name '*.ogg' | sed 's#^#music-drascula\t#'
	find src/fillets-ng-data/usr/share/games/fillets-ng/music -name '*.ogg' | sed 's#^#music-fillets\t#'
	find src/hedgewars-data/usr/share/games/hedgewars/Data/Music -name '*.ogg' | sed 's#^#music-hedgewars\t#'
	find src/asterisk-moh-opsound-wav -name '*.wav' | sed 's#^#music-onhold\t#'
	# Noise: sound effects (animals, machines, bubbles, explosions, clicks).
	find src/tuxpaint-stamps-default -name '*.ogg' ! -name '*_desc*' | sed 's#^#noise-effects\t#'
	find src/hedgewars-data/usr/share/games/hedgewars/Data/Sounds -maxdepth 1 -name '*.ogg' | sed 's#^#noise-effects\t#'
	find src/fillets-ng-data/usr/share/games/fillets-ng/sound/share -maxdepth 1 -name '*.ogg' | sed 's#^#noise-effects\t#'
	find src/sound-icons -name '*.wav' | sed 's#^#noise-effects\t#'
} | LC_ALL=C sort -u >"$list.all"
# The same recording twice (a symlink or a copy) counts once: each line
# gets its file's checksum and a checksum seen before is dropped.
cut -f2 "$list.all" | xargs -d '\n' sha256sum | cut -d' ' -f1 | paste "$list.all" - |
	awk -F'\t' '!seen[$3]++' >"$list"

# 3. Every file to 16 kHz mono with 0.3 s of silence after it (in
# parallel, cached by content), then each part concatenated in list order.
convert_one() { # path sha256
	out=work/pcm/$2.s16
	if [ ! -s "$out" ]; then
		sox -q "$1" -t raw -r 16000 -e signed -b 16 -c 1 "$out.tmp" pad 0 0.3 && mv "$out.tmp" "$out"
	fi
}
export -f convert_one
mkdir -p work/pcm
cut -f2,3 "$list" | xargs -P "$jobs" -d '\n' -n 1 bash -c 'IFS=$'"'"'\t'"'"' read -r p h <<<"$1"; convert_one "$p" "$h"' _

cut -f1 "$list" | LC_ALL=C sort -u | while read -r part; do
	[ -s "parts/$part.s16" ] && continue
	awk -F'\t' -v p="$part" '$1 == p {print "work/pcm/" $3 ".s16"}' "$list" | xargs cat >"parts/$part.s16.tmp"
	mv "parts/$part.s16.tmp" "parts/$part.s16"
done

# 4. espeak-ng, every language in three variants (its default male voice,
# a second male and a female), speaking numbers, dates and times in that
# language and a paragraph of English.
text="0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 30 42 57 68 73 80 99 100 250 999 1000 1984 2026 31415 65536 8000000. 12:45, 3.5, 99%, 2/3, 7 June 1999. The quick brown fox jumps over the lazy dog. Please hold while we connect your call to the next available agent. Your account balance is 312 dollars and 17 cents."
for variant in "" "+m3" "+f3"; do
	name=espeak-male
	[ "$variant" = "+m3" ] && name=espeak-male2
	[ "$variant" = "+f3" ] && name=espeak-female
	[ -s "parts/$name.s16" ] && continue
	: >"parts/$name.s16.tmp"
	grep -v -x "$name" work/espeak-clips.tmp >work/espeak-clips.tmp2 2>/dev/null || true
	mv work/espeak-clips.tmp2 work/espeak-clips.tmp
	espeak-ng --voices | awk 'NR > 1 {print $2}' | LC_ALL=C sort -u | while read -r lang; do
		espeak-ng -v "$lang$variant" -w work/espeak.wav "$text" 2>/dev/null || continue
		sox -q work/espeak.wav -t raw -r 16000 -e signed -b 16 -c 1 - pad 0 0.3 >>"parts/$name.s16.tmp"
		echo "$name" >>work/espeak-clips.tmp
	done
	mv "parts/$name.s16.tmp" "parts/$name.s16"
done

# 5. Generated noise: white, pink and brown, 20 minutes each, seeded.
if [ ! -s parts/noise-generated.s16 ]; then
	for kind in whitenoise pinknoise brownnoise; do
		sox -R -q -n -t raw -r 16000 -e signed -b 16 -c 1 - synth 1200 "$kind" vol 0.05
	done >parts/noise-generated.s16.tmp
	mv parts/noise-generated.s16.tmp parts/noise-generated.s16
fi

# 6. The 8 kHz µ-law version of every part (-G: gain lowered where the
# band filter would clip), and the manifest. Hours leave out the 0.3 s
# gaps put between clips.
printf 'part\tkind\tlanguage\thours\tclips\tsha256_8k_ulaw\tsha256_16k\n' >MANIFEST.tsv
for s16 in parts/*.s16; do
	part=$(basename "$s16" .s16)
	ul=parts/$part.ul
	[ -s "$ul" ] || { sox -q -G -t raw -r 16000 -e signed -b 16 -c 1 "$s16" -t raw -r 8000 -e u-law -c 1 "$ul.tmp" sinc 300-3400 && mv "$ul.tmp" "$ul"; }
	kind=${part%%-*}
	lang=-
	case $part in speech-*) lang=${part#speech-} lang=${lang%-prompts} ;; espeak-*) kind=espeak lang=all ;; esac
	case $part in
	espeak-*) clips=$(grep -c -x "$part" work/espeak-clips.tmp || true) ;;
	noise-generated) clips=0 ;;
	*) clips=$(awk -F'\t' -v p="$part" '$1 == p' "$list" | wc -l) ;;
	esac
	hours=$(awk -v b="$(stat -c %s "$ul")" -v c="$clips" 'BEGIN {printf "%.3f", (b / 8000 - 0.3 * c) / 3600}')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$part" "$kind" "$lang" "$hours" "$clips" \
		"$(sha256sum "$ul" | cut -d' ' -f1)" "$(sha256sum "$s16" | cut -d' ' -f1)" >>MANIFEST.tsv
done
column -t -s $'\t' MANIFEST.tsv | cut -c1-70
echo "corpus ready in $cache (DTMF_CORPUS=$cache)"
