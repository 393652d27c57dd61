// Every command the page may call, in one list. `lib.rs` (the invoke handler), `build.rs` (the
// capability file's `allow-<command>` permissions, through `include!`) and the page's
// `ui/src/bindings.ts` (the command names, checked by `tests/bindings.rs`) all expand it, so a
// command added here is handled, permitted and known to the page at once.
//
// Plain `macro_rules!` and no `use`, so that the build script can include this file as it is.

/// Expands `$then! { module::command, … }` with every command, each under `crate::commands`.
macro_rules! with_commands {
    ($then:ident) => {
        $then! {
            app::app_info,
            app::choose_data_dir,
            app::restart,
            app::quit,
            app::autostart_enabled,
            app::set_autostart,
            accounts::accounts,
            accounts::ca_terms,
            accounts::account_profiles,
            caa::account_caa,
            accounts::register_account,
            accounts::import_account,
            accounts::update_account_email,
            accounts::export_account_key,
            accounts::delete_account,
            accounts::deactivate_account,
            dns::dns_providers,
            dns::dns_accounts,
            dns::save_dns_account,
            dns::delete_dns_account,
            dns::set_dns_account_enabled,
            dns::test_dns_account,
            dns::assign_dns,
            dns::persist_record,
            dns::persist_check,
            deploy::deploy_kinds,
            deploy::deployments,
            deploy::save_deployment,
            deploy::delete_deployment,
            deploy::set_deployment_enabled,
            deploy::test_deployment,
            deploy::deploy_now,
            deploy::set_deploy,
            requests::check_names,
            requests::create_request,
            requests::requests,
            requests::request,
            requests::verify,
            requests::new_challenge,
            requests::save_request,
            requests::set_fallback,
            certs::certs,
            certs::cert_details,
            certs::history,
            certs::import_cert,
            certs::cert_replacement,
            certs::export_cert,
            certs::renew,
            certs::renew_due,
            renewal::renewal_health,
            overview::overview,
            endpoints::endpoints,
            endpoints::add_endpoint,
            endpoints::check_endpoints,
            endpoints::delete_endpoint,
            endpoints::scan_endpoints,
            activity::activity_log,
            activity::activity_csv,
            certs::revoke,
            certs::delete_cert,
            damaged::damaged,
            settings::settings,
            settings::save_settings,
            mail::send_test_mail,
            mail::mail_cert,
            channels::notice_channel_kinds,
            channels::notice_channels,
            channels::save_notice_channel,
            channels::delete_notice_channel,
            channels::set_notice_channel_enabled,
            channels::test_notice_channel,
            agent::agents,
            agent::agent_fingerprint,
            agent::pair_agent,
            agent::remove_agent,
            agent::agent_package,
            agent::agent_examples,
        }
    };
}

/// The commands' names, as the page invokes them: `with_commands!(command_names)`.
macro_rules! command_names {
    ($($module:ident::$command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}
