// No console window on Windows release builds; certdesk is a desktop app there.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    certdesk_app::run();
}
