//! Job and CronJob validation.

use super::*;

// ------------------------------------------------------------------ Job

#[test]
fn job_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("spec: {parallelism: 0, completions: 0, activeDeadlineSeconds: 0, backoffLimit: 0, ttlSecondsAfterFinished: 0}", &[]),
        (
            "spec: {parallelism: -1, completions: -1, activeDeadlineSeconds: -1, backoffLimit: -1, ttlSecondsAfterFinished: -1}",
            &[
                &format!("spec.parallelism: Invalid value: -1: {NEG}"),
                &format!("spec.completions: Invalid value: -1: {NEG}"),
                &format!("spec.activeDeadlineSeconds: Invalid value: -1: {NEG}"),
                &format!("spec.backoffLimit: Invalid value: -1: {NEG}"),
                &format!("spec.ttlSecondsAfterFinished: Invalid value: -1: {NEG}"),
            ],
        ),
        // restartPolicy OnFailure or Never; the defaulted Always reads as missing
        ("spec: {template: {spec: {restartPolicy: OnFailure}}}", &[]),
        ("spec: {template: {spec: {restartPolicy: null}}}", &[r#"spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#]),
        ("spec: {template: {spec: {restartPolicy: Always}}}", &[r#"spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#]),
        // Indexed mode
        ("spec: {completionMode: Indexed, completions: 3, parallelism: 3}", &[]),
        ("spec: {completionMode: Indexed, completions: null, parallelism: 3}", &["spec.completions: Required value: when completion mode is Indexed"]),
        (
            "spec: {completionMode: Indexed, completions: 3, parallelism: 100001}",
            &["spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed"],
        ),
        ("spec: {completionMode: Sometimes}", &[r#"spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed""#]),
        ("spec: {completionMode: Indexed, completions: 10, backoffLimitPerIndex: 1, maxFailedIndexes: 5}", &[]),
        (
            "spec: {completionMode: Indexed, completions: 3, backoffLimitPerIndex: -1, maxFailedIndexes: 4}",
            &[
                &format!("spec.backoffLimitPerIndex: Invalid value: -1: {NEG}"),
                "spec.maxFailedIndexes: Invalid value: 4: must be less than or equal to completions",
            ],
        ),
        (
            "spec: {completionMode: Indexed, completions: 3, maxFailedIndexes: 1}",
            &["spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified"],
        ),
        (
            "spec: {backoffLimitPerIndex: 1, maxFailedIndexes: 1}",
            &[
                "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
                "spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode",
            ],
        ),
        (
            "spec: {completionMode: Indexed, completions: 200000, parallelism: 20000, backoffLimitPerIndex: 1}",
            &[
                "spec.maxFailedIndexes: Required value: must be specified when completions is above 100000",
                "spec.parallelism: Invalid value: 20000: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index",
            ],
        ),
        // Pod names of an Indexed Job must stay DNS labels.
        (
            "metadata: {name: a-very-long-job-name-that-is-exactly-sixty-two-characters-long}\nspec: {completionMode: Indexed, completions: 10, template: {metadata: {labels: null}}}",
            &[r#"metadata.name: Invalid value: "a-very-long-job-name-that-is-exactly-sixty-two-characters-long": will not able to create pod with invalid DNS label: a-very-long-job-name-that-is-exactly-sixty-two-characters-long-9"#],
        ),
        // The generated job-name labels carry the name: at most 63 characters.
        (
            "metadata: {name: a-job-name-that-is-longer-than-sixty-three-characters-which-labels-refuse}",
            &[
                r#"spec.template.labels: Invalid value: "a-job-name-that-is-longer-than-sixty-three-characters-which-labels-refuse": must be no more than 63 characters"#,
                r#"spec.template.labels: Invalid value: "a-job-name-that-is-longer-than-sixty-three-characters-which-labels-refuse": must be no more than 63 characters"#,
            ],
        ),
        // podReplacementPolicy
        ("spec: {podReplacementPolicy: TerminatingOrFailed}", &[]),
        ("spec: {podReplacementPolicy: Never}", &[r#"spec.podReplacementPolicy: Unsupported value: "Never": supported values: "Failed", "TerminatingOrFailed""#]),
    ];
    for (patch, expect) in cases {
        check::<Job>(JOB, patch, expect);
    }
}

#[test]
fn job_selector_rules() {
    // A manual selector must match the template.
    let manual =
        "spec: {manualSelector: true, selector: {matchLabels: {app: pi}}, template: {metadata: {labels: {app: pi}}}}";
    check::<Job>(JOB, manual, &[]);
    check::<Job>(
        JOB,
        "spec: {manualSelector: true, selector: {matchLabels: {app: pi}}, template: {metadata: {labels: {app: pie}}}}",
        &[
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"pie"}: `selector` does not match template `labels`"#,
        ],
    );
    check::<Job>(
        JOB,
        "spec: {manualSelector: true, template: {metadata: {labels: {app: pi}}}}",
        &[
            "spec.selector: Required value",
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"pi"}: `selector` does not match template `labels`"#,
        ],
    );
    // A generated selector needs the uid and the generated labels.
    check::<Job>(
        JOB,
        "metadata: {uid: null}",
        &[
            "spec.selector: Required value",
            r#"spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"#,
        ],
    );
    // A generated label the user overrode (defaulting here overwrites such labels, so
    // the conflict is made after defaulting).
    let mut j: Job = defaulted(JOB, "");
    j.spec.template.metadata.labels.insert("job-name".into(), "other".into());
    assert_eq!(
        lines(j.validate(None)),
        [
            r#"spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"0f3c5a2e-1", "batch.kubernetes.io/job-name":"pi", "controller-uid":"0f3c5a2e-1", "job-name":"other"}: must be 'pi'"#,
        ]
    );
    j.spec.template.metadata.labels.remove("job-name");
    assert_eq!(lines(j.validate(None)), ["spec.template.metadata.labels[job-name]: Required value: pi"]);
    // A selector that does not select the generated labels.
    let mut j: Job = defaulted(JOB, "");
    j.spec.selector =
        Some(serde_json::from_str(r#"{"matchLabels": {"batch.kubernetes.io/controller-uid": "other"}}"#).unwrap());
    assert_eq!(
        lines(j.validate(None)),
        [
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"#,
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"0f3c5a2e-1", "batch.kubernetes.io/job-name":"pi", "controller-uid":"0f3c5a2e-1", "job-name":"pi"}: `selector` does not match template `labels`"#,
        ]
    );
}

#[test]
fn job_pod_failure_policy_rules() {
    let never = "template: {spec: {restartPolicy: Never}}";
    let policy = |rules: &str| format!("spec: {{{never}, podFailurePolicy: {{rules: [{rules}]}}}}");
    let cases: &[(String, &[&str])] = &[
        (policy("{action: FailJob, onExitCodes: {containerName: pi, operator: In, values: [1, 42]}}, {action: Ignore, onPodConditions: [{type: DisruptionTarget}]}"), &[]),
        (
            "spec: {template: {spec: {restartPolicy: OnFailure}}, podFailurePolicy: {rules: []}}".to_string(),
            &[r#"spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified"#],
        ),
        (
            policy("{action: Explode, onExitCodes: {operator: In, values: [0, 3, 3, 2]}}"),
            &[
                r#"spec.podFailurePolicy.rules[0].action: Unsupported value: "Explode": supported values: "Count", "FailIndex", "FailJob", "Ignore""#,
                "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
                "spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3",
                "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 3, 3, 2}: must be ordered",
            ],
        ),
        (
            policy("{action: FailIndex, onExitCodes: {containerName: nope, operator: Within, values: []}}"),
            &[
                r#"spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set"#,
                r#"spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: "Within": supported values: "In", "NotIn""#,
                r#"spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template"#,
                "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32(nil): at least one value is required",
            ],
        ),
        (
            policy("{action: Count}, {action: Count, onExitCodes: {operator: NotIn, values: [0]}, onPodConditions: [{type: Ready, status: Maybe}]}"),
            &[
                "spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required",
                r#"spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown""#,
                "spec.podFailurePolicy.rules[1]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported",
            ],
        ),
        (
            policy("{onPodConditions: [{type: DisruptionTarget}]}"),
            &[r#"spec.podFailurePolicy.rules[0].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]"#],
        ),
        (
            format!("spec: {{{never}, podFailurePolicy: {{rules: []}}, podReplacementPolicy: TerminatingOrFailed}}"),
            &[r#"spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed""#],
        ),
    ];
    for (patch, expect) in cases {
        check::<Job>(JOB, patch, expect);
    }
    let too_many = vec!["{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}"; 21].join(", ");
    check::<Job>(
        JOB,
        &policy(&too_many),
        &["spec.podFailurePolicy.rules: Invalid value: 21: must have at most 20 items"],
    );
}

#[test]
fn job_updates() {
    // Mutable: parallelism, activeDeadlineSeconds, suspend, labels.
    check_update::<Job>(
        JOB,
        "",
        "spec: {completions: 1, parallelism: 4, activeDeadlineSeconds: 100, suspend: true}",
        &[],
    );
    let new_image = "spec: {template: {spec: {containers: [{name: pi, image: 'perl:5.36'}]}}}";
    let got = lines(defaulted::<Job>(JOB, new_image).validate(Some(&defaulted::<Job>(JOB, ""))));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("spec.template: Invalid value: {") && got[0].ends_with("}: field is immutable"),
        "{}",
        got[0]
    );
    check_update::<Job>(
        JOB,
        "",
        "spec: {completions: 3, parallelism: 1}",
        &["spec.completions: Invalid value: 3: field is immutable"],
    );
    check_update::<Job>(
        JOB,
        "",
        "spec: {completionMode: Indexed, completions: 1, parallelism: 1}",
        &[r#"spec.completionMode: Invalid value: "Indexed": field is immutable"#],
    );
    check_update::<Job>(
        JOB,
        "spec: {manualSelector: true, selector: {matchLabels: {app: pi}}, template: {metadata: {labels: {app: pi}}}}",
        "spec: {manualSelector: true, selector: {matchExpressions: [{key: app, operator: Exists}]}, template: {metadata: {labels: {app: pi}}}}",
        &[r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Exists", Values:[]string(nil)}}}: field is immutable"#],
    );
    // Elastic Indexed Jobs: completions change together with parallelism.
    let indexed = "spec: {completionMode: Indexed, completions: 3, parallelism: 3}";
    check_update::<Job>(JOB, indexed, "spec: {completionMode: Indexed, completions: 5, parallelism: 5}", &[]);
    check_update::<Job>(
        JOB,
        indexed,
        "spec: {completionMode: Indexed, completions: 5, parallelism: 3}",
        &["spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism"],
    );
    // A suspended Job that never started may change its scheduling directives.
    let scheduling =
        "spec: {suspend: true, template: {spec: {nodeSelector: {zone: a}, tolerations: [{key: k, operator: Exists}]}}}";
    check_update::<Job>(JOB, "spec: {suspend: true}", scheduling, &[]);
    let running = "spec: {suspend: true}\nstatus: {startTime: '2024-01-01T00:00:00Z'}";
    let got = lines(defaulted::<Job>(JOB, scheduling).validate(Some(&defaulted::<Job>(JOB, running))));
    assert!(got.len() == 1 && got[0].ends_with("field is immutable"), "{got:?}");
}

#[test]
fn job_status_rules() {
    check_status::<Job>(JOB, "", "status: {active: 1, succeeded: 2, failed: 0, ready: 1, uncountedTerminatedPods: {succeeded: [a], failed: [b]}}", &[]);
    check_status::<Job>(
        JOB,
        "",
        "status: {active: -1, ready: -1, uncountedTerminatedPods: {succeeded: [a, ''], failed: [a]}}",
        &[
            &format!("status.active: Invalid value: -1: {NEG}"),
            &format!("status.ready: Invalid value: -1: {NEG}"),
            r#"status.uncountedTerminatedPods.succeeded[1]: Invalid value: "": must not be empty"#,
            r#"status.uncountedTerminatedPods.failed[0]: Duplicate value: "a""#,
        ],
    );
}

// ------------------------------------------------------------------ CronJob

#[test]
fn cron_job_schedules() {
    let ok = [
        "*/5 * * * *",
        "0 3 * * 1-5",
        "0 0 1 JAN,jul ?",
        "30 9 * * mon-fri",
        "@hourly",
        "@daily",
        "@midnight",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
        "@every 1h30m",
    ];
    for schedule in ok {
        check::<CronJob>(CRON_JOB, &format!("spec: {{schedule: '{schedule}'}}"), &[]);
    }
    let bad: &[(&str, &str)] = &[
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("0 0 * * * *", "expected exactly 5 fields, found 6: [0 0 * * * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("* 24 * * *", "end of range (24) above maximum (23): 24"),
        ("* * 32 * *", "end of range (32) above maximum (31): 32"),
        ("* * * 13 *", "end of range (13) above maximum (12): 13"),
        ("* * * * 7", "end of range (7) above maximum (6): 7"),
        ("* * L * *", r#"failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax"#),
        ("* * * * MON#2", r#"failed to parse int from MON#2: strconv.Atoi: parsing "MON#2": invalid syntax"#),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("@every 2d", r#"failed to parse duration @every 2d: time: unknown unit "d" in duration "2d""#),
        ("@reboot", "unrecognized descriptor: @reboot"),
    ];
    for (schedule, msg) in bad {
        check::<CronJob>(
            CRON_JOB,
            &format!("spec: {{schedule: '{schedule}'}}"),
            &[&format!("spec.schedule: Invalid value: {schedule:?}: {msg}")],
        );
    }
    check::<CronJob>(CRON_JOB, "spec: {schedule: ''}", &["spec.schedule: Required value"]);
}

#[test]
fn cron_job_time_zones() {
    check::<CronJob>(CRON_JOB, "spec: {timeZone: Europe/Berlin}", &[]);
    check::<CronJob>(CRON_JOB, "spec: {timeZone: Etc/GMT+5}", &[]);
    check::<CronJob>(
        CRON_JOB,
        "spec: {timeZone: ''}",
        &[r#"spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string"#],
    );
    check::<CronJob>(
        CRON_JOB,
        "spec: {timeZone: Local}",
        &[
            r#"spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"#,
        ],
    );
    check::<CronJob>(
        CRON_JOB,
        "spec: {timeZone: 'America/../x'}",
        &[r#"spec.timeZone: Invalid value: "America/../x": unknown time zone America/../x"#],
    );
    check::<CronJob>(
        CRON_JOB,
        "spec: {timeZone: 'Europe/Very_Long_City_Name'}",
        &[
            r#"spec.timeZone: Invalid value: "Europe/Very_Long_City_Name": unknown time zone Europe/Very_Long_City_Name"#,
        ],
    );
    // TZ in the schedule: never on create; on update only if the old schedule had it, and not with timeZone.
    check::<CronJob>(
        CRON_JOB,
        "spec: {schedule: 'CRON_TZ=UTC 0 * * * *'}",
        &[
            r#"spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"#,
        ],
    );
    let tz = "spec: {schedule: 'TZ=UTC 0 * * * *'}";
    check_update::<CronJob>(CRON_JOB, tz, "spec: {schedule: 'TZ=UTC 5 * * * *'}", &[]);
    check_update::<CronJob>(
        CRON_JOB,
        tz,
        "spec: {schedule: 'TZ=UTC 5 * * * *', timeZone: UTC}",
        &[
            r#"spec.schedule: Invalid value: "TZ=UTC 5 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule"#,
        ],
    );
    // An unchanged time zone is not re-validated on update.
    let mut old: CronJob = defaulted(CRON_JOB, "");
    old.spec.time_zone = Some("Local".into());
    let mut new = old.clone();
    new.spec.suspend = Some(true);
    assert_eq!(lines(new.validate(Some(&old))), Vec::<String>::new());
}

#[test]
fn cron_job_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("spec: {startingDeadlineSeconds: 0, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0, concurrencyPolicy: Replace}", &[]),
        (
            "spec: {startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1, failedJobsHistoryLimit: -1}",
            &[
                &format!("spec.startingDeadlineSeconds: Invalid value: -1: {NEG}"),
                &format!("spec.successfulJobsHistoryLimit: Invalid value: -1: {NEG}"),
                &format!("spec.failedJobsHistoryLimit: Invalid value: -1: {NEG}"),
            ],
        ),
        ("spec: {concurrencyPolicy: Sometimes}", &[r#"spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace""#]),
        (
            "spec: {jobTemplate: {spec: {selector: {matchLabels: {a: b}}, manualSelector: true}}}",
            &[
                r#"spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated"#,
                r#"spec.jobTemplate.spec.manualSelector: Unsupported value: "true": supported values: "nil", "false""#,
            ],
        ),
        (
            "spec: {jobTemplate: {spec: {template: {spec: {restartPolicy: Always}}, parallelism: -1}}}",
            &[
                &format!("spec.jobTemplate.spec.parallelism: Invalid value: -1: {NEG}"),
                r#"spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#,
            ],
        ),
        ("metadata: {name: a-cron-job-name-of-exactly-fifty-two-characters-long}", &[]),
        (
            "metadata: {name: a-cron-job-name-of-exactly-fifty-three-characters-long}",
            &[r#"metadata.name: Invalid value: "a-cron-job-name-of-exactly-fifty-three-characters-long": must be no more than 52 characters"#],
        ),
    ];
    for (patch, expect) in cases {
        check::<CronJob>(CRON_JOB, patch, expect);
    }
    // Old CronJobs with long names can still be updated.
    let long = "metadata: {name: a-cron-job-name-of-exactly-fifty-three-characters-long}";
    check_update::<CronJob>(CRON_JOB, long, &format!("{long}\nspec: {{suspend: true}}"), &[]);
}
