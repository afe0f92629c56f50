#!/usr/bin/env bash
# Rebuilds the front-end assets that internal/web embeds: htmx and its SSE
# extension, the Inter and JetBrains Mono fonts, the Lucide icons the templates use, and the
# Tailwind CSS build. The output is committed, so running (and testing)
# Prikke never needs Node; only this script does. Run it with `make assets`
# after changing templates, internal/web/assets/app.css or package.json.
set -euo pipefail
cd "$(dirname "$0")/.."

web=internal/web
static=$web/static
icons=$web/templates/icons

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

mkdir -p "$static/fonts" "$icons"

# JavaScript: htmx and its server-sent-events extension, as published.
cp node_modules/htmx.org/dist/htmx.min.js "$static/htmx.min.js"
cp node_modules/htmx-ext-sse/dist/sse.min.js "$static/sse.min.js"

# Inter, variable weight, Latin and Latin Extended (covers æøå and the rest
# of Europe's Latin alphabets). app.css declares the @font-face rules.
cp node_modules/@fontsource-variable/inter/files/inter-latin-wght-normal.woff2 "$static/fonts/"
cp node_modules/@fontsource-variable/inter/files/inter-latin-ext-wght-normal.woff2 "$static/fonts/"
cp node_modules/@fontsource-variable/inter/LICENSE "$static/fonts/LICENSE-inter.txt"

# JetBrains Mono, variable weight, Latin and Latin Extended, for code, IDs,
# URLs and cron expressions: without a face of our own, "monospace" ends
# at Courier on many systems. Same licence (SIL OFL 1.1), same subsets.
cp node_modules/@fontsource-variable/jetbrains-mono/files/jetbrains-mono-latin-wght-normal.woff2 "$static/fonts/"
cp node_modules/@fontsource-variable/jetbrains-mono/files/jetbrains-mono-latin-ext-wght-normal.woff2 "$static/fonts/"
cp node_modules/@fontsource-variable/jetbrains-mono/LICENSE "$static/fonts/LICENSE-jetbrains-mono.txt"

# Icons: only the ones the templates use. The template func "icon" inlines
# them (an inline SVG needs no request and inherits currentColor).
# Add a name here, run the script, then use {{icon "name" "size-4"}}.
icon_names=(
  arrow-right ban book-open building-2 calendar-clock calendar-x check chevron-right
  circle-alert circle-check circle-dashed circle-x clock code copy external-link globe
  heart-pulse history hourglass info key-round landmark layers loader-circle lock mail
  menu refresh-cw rocket scale server shield-check skip-forward sun-moon terminal timer
  triangle-alert users x
)
rm -f "$icons"/*.svg
for name in "${icon_names[@]}"; do
  cp "node_modules/lucide-static/icons/$name.svg" "$icons/$name.svg"
done
cp node_modules/lucide-static/LICENSE "$icons/LICENSE-lucide.txt"

# CSS: Tailwind 4 scans the templates and the Go files of internal/web
# (see the @source lines in the entry file) and writes one minified file.
npx --no-install @tailwindcss/cli -i "$web/assets/app.css" -o "$static/app.css" --minify

ls -l "$static" "$static/fonts" | sed 's/^/  /'
