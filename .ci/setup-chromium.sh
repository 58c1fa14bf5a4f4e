# shellcheck shell=bash
# Sourced by .ci/run before `make test`: installs Debian's Chromium for the browser test (a real JupyterLab in
# headless Chromium, driven by Playwright with executable_path=/usr/bin/chromium; Playwright's own browser
# downloads are never used). Without Chromium that test is skipped and says why.

wfb_setup_chromium() {
    if command -v chromium >/dev/null 2>&1; then
        return 0
    fi
    echo "setup-chromium: installing chromium from Debian packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

wfb_setup_chromium
