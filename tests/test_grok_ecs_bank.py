"""``ecs_compatibility: v1``: the ECS pattern bank, and how a capture name becomes a field.

Facts are taken from Elasticsearch (``libs/grok/src/main/resources/patterns/ecs-v1/*``
for the names, field names and types; ``libs/grok/src/test/java/org/elasticsearch/grok/GrokTests.java``
and ``modules/ingest-common/.../GrokProcessorTests.java`` for behaviour) and from
Logstash's pattern library, the source of Elasticsearch's ECS bank
(``logstash-plugins/logstash-patterns-core``, ``spec/patterns/*_spec.rb``: sample lines
and expected ECS values). Each case names its source; the expected documents are the
whole document the real processor leaves, written here as ingesthost's data. Where
Logstash and Elasticsearch differ (Logstash appends a captured ``message`` to the
original, drops empty captures, names some fields differently in later versions), the
expectation is Elasticsearch's. Cases marked "ingesthost" are not from those tests.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ingesthost import Pipeline
from ingesthost.errors import PipelineConfigError, ProcessorError
from ingesthost.processors import grok_bank
from ingesthost.processors.grok import GrokExpression
from ingesthost.processors.grok_bank import builtin_patterns, parse_pattern_file

ECS = builtin_patterns("v1")
LEGACY = builtin_patterns("disabled")
BANK_DIR = Path(grok_bank.__file__).parent
TAB = "\t"


def grok(patterns: list[str], line: str, mode: "str | None" = "v1", **options: Any) -> Any:
    """The document a grok processor (field ``message``) leaves, through the real pipeline."""
    config: dict[str, Any] = {"field": "message", "patterns": patterns, **options}
    if mode is not None:
        config["ecs_compatibility"] = mode
    with Pipeline.from_definition({"processors": [{"grok": config}]}, cache=False) as pipeline:
        return pipeline.process({"message": line})


def grok_error(patterns: list[str], line: str, mode: "str | None" = "v1", **options: Any) -> str:
    with pytest.raises(ProcessorError) as info:
        grok(patterns, line, mode, **options)
    return str(info.value)


def load_error(config: dict[str, Any]) -> str:
    with pytest.raises(PipelineConfigError) as info:
        Pipeline.from_definition({"processors": [{"grok": config}]}, cache=False)
    return str(info.value)


# == the bank: Elasticsearch's names, one file per family ==========================================

# The names Elasticsearch's ecs-v1 bank defines, file by file (libs/grok/src/main/resources/
# patterns/ecs-v1/<family>; the maven file is the same as the legacy one: MAVEN_VERSION).
ES_ECS_V1_NAMES = {
    "aws": """S3_REQUEST_LINE S3_ACCESS_LOG ELB_URIHOST ELB_URIPATHQUERY ELB_URIPATHPARAM ELB_URI ELB_REQUEST_LINE
              ELB_V1_HTTP_LOG ELB_ACCESS_LOG CLOUDFRONT_ACCESS_LOG""",
    "bacula": """BACULA_TIMESTAMP BACULA_HOST BACULA_VOLUME BACULA_DEVICE BACULA_DEVICEPATH BACULA_CAPACITY BACULA_VERSION
                 BACULA_JOB BACULA_LOG_MAX_CAPACITY BACULA_LOG_END_VOLUME BACULA_LOG_NEW_VOLUME BACULA_LOG_NEW_LABEL
                 BACULA_LOG_WROTE_LABEL BACULA_LOG_NEW_MOUNT BACULA_LOG_NOOPEN BACULA_LOG_NOOPENDIR BACULA_LOG_NOSTAT
                 BACULA_LOG_NOJOBS BACULA_LOG_ALL_RECORDS_PRUNED BACULA_LOG_BEGIN_PRUNE_JOBS BACULA_LOG_BEGIN_PRUNE_FILES
                 BACULA_LOG_PRUNED_JOBS BACULA_LOG_PRUNED_FILES BACULA_LOG_ENDPRUNE BACULA_LOG_STARTJOB
                 BACULA_LOG_STARTRESTORE BACULA_LOG_USEDEVICE BACULA_LOG_DIFF_FS BACULA_LOG_JOBEND BACULA_LOG_NOPRUNE_JOBS
                 BACULA_LOG_NOPRUNE_FILES BACULA_LOG_VOLUME_PREVWRITTEN BACULA_LOG_READYAPPEND BACULA_LOG_CANCELLING
                 BACULA_LOG_MARKCANCEL BACULA_LOG_CLIENT_RBJ BACULA_LOG_VSS BACULA_LOG_MAXSTART BACULA_LOG_DUPLICATE
                 BACULA_LOG_NOJOBSTAT BACULA_LOG_FATAL_CONN BACULA_LOG_NO_CONNECT BACULA_LOG_NO_AUTH BACULA_LOG_NOSUIT
                 BACULA_LOG_NOPRIOR BACULA_LOG_JOB BACULA_LOG BACULA_LOGLINE""",
    "bind": "BIND9_TIMESTAMP BIND9_DNSTYPE BIND9_CATEGORY BIND9_QUERYLOGBASE BIND9_QUERYLOG BIND9",
    "bro": "BRO_BOOL BRO_DATA BRO_HTTP BRO_DNS BRO_CONN BRO_FILES",
    "exim": """EXIM_MSGID EXIM_FLAGS EXIM_DATE EXIM_PID EXIM_QT EXIM_EXCLUDE_TERMS EXIM_REMOTE_HOST EXIM_INTERFACE
               EXIM_PROTOCOL EXIM_MSG_SIZE EXIM_HEADER_ID EXIM_QUOTED_CONTENT EXIM_SUBJECT EXIM_UNKNOWN_FIELD
               EXIM_NAMED_FIELDS EXIM_MESSAGE_ARRIVAL EXIM""",
    "firewalls": """NETSCREENSESSIONLOG CISCO_TAGGED_SYSLOG CISCOTIMESTAMP CISCOTAG CISCO_ACTION CISCO_REASON CISCO_DIRECTION
                    CISCO_INTERVAL CISCO_XLATE_TYPE CISCO_HITCOUNT_INTERVAL CISCO_SRC_IP_USER CISCO_DST_IP_USER
                    CISCO_SRC_HOST_PORT_USER CISCO_DST_HOST_PORT_USER CISCOFW104001 CISCOFW104002 CISCOFW104003
                    CISCOFW104004 CISCOFW105003 CISCOFW105004 CISCOFW105005 CISCOFW105008 CISCOFW105009 CISCOFW106001
                    CISCOFW106006_106007_106010 CISCOFW106014 CISCOFW106015 CISCOFW106021 CISCOFW106023 CISCOFW106100_2_3
                    CISCOFW106100 CISCOFW304001 CISCOFW110002 CISCOFW302010 CISCOFW302013_302014_302015_302016
                    CISCOFW302020_302021 CISCOFW305011 CISCOFW313001_313004_313008 CISCOFW313005 CISCOFW321001
                    CISCOFW402117 CISCOFW402119 CISCOFW419001 CISCOFW419002 CISCOFW500004 CISCOFW602303_602304
                    CISCOFW710001_710002_710003_710005_710006 CISCOFW713172 CISCOFW733100 IPTABLES_TCP_FLAGS
                    IPTABLES_TCP_PART IPTABLES4_FRAG IPTABLES4_PART IPTABLES6_PART IPTABLES SHOREWALL SFW2_LOG_PREFIX
                    SFW2""",
    "grok-patterns": """USERNAME USER EMAILLOCALPART EMAILADDRESS INT BASE10NUM NUMBER BASE16NUM BASE16FLOAT POSINT NONNEGINT
                        WORD NOTSPACE SPACE DATA GREEDYDATA QUOTEDSTRING UUID URN MAC CISCOMAC WINDOWSMAC COMMONMAC IPV6
                        IPV4 IP HOSTNAME IPORHOST HOSTPORT PATH UNIXPATH TTY WINPATH URIPROTO URIHOST URIPATH URIQUERY
                        URIPARAM URIPATHPARAM URI MONTH MONTHNUM MONTHNUM2 MONTHDAY DAY YEAR HOUR MINUTE SECOND TIME
                        DATE_US DATE_EU ISO8601_TIMEZONE ISO8601_SECOND TIMESTAMP_ISO8601 DATE DATESTAMP TZ
                        DATESTAMP_RFC822 DATESTAMP_RFC2822 DATESTAMP_OTHER DATESTAMP_EVENTLOG SYSLOGTIMESTAMP PROG
                        SYSLOGPROG SYSLOGHOST SYSLOGFACILITY HTTPDATE QS SYSLOGBASE LOGLEVEL""",
    "haproxy": """HAPROXYTIME HAPROXYDATE HAPROXYCAPTUREDREQUESTHEADERS HAPROXYCAPTUREDRESPONSEHEADERS HAPROXYURI
                  HAPROXYHTTPREQUESTLINE HAPROXYHTTPBASE HAPROXYHTTP HAPROXYTCP""",
    "httpd": """HTTPDUSER HTTPDERROR_DATE HTTPD_COMMONLOG HTTPD_COMBINEDLOG HTTPD20_ERRORLOG HTTPD24_ERRORLOG HTTPD_ERRORLOG
                COMMONAPACHELOG COMBINEDAPACHELOG""",
    "java": """JAVACLASS JAVAFILE JAVAMETHOD JAVASTACKTRACEPART JAVATHREAD JAVALOGMESSAGE CATALINA7_DATESTAMP CATALINA7_LOG
               CATALINA8_DATESTAMP CATALINA8_LOG CATALINA_DATESTAMP CATALINALOG TOMCAT7_LOG TOMCAT8_LOG
               TOMCATLEGACY_DATESTAMP TOMCATLEGACY_LOG TOMCAT_DATESTAMP TOMCATLOG""",
    "junos": "RT_FLOW_TAG RT_FLOW_EVENT RT_FLOW1 RT_FLOW2 RT_FLOW3",
    "linux-syslog": """SYSLOG5424PRINTASCII SYSLOGBASE2 SYSLOGPAMSESSION CRON_ACTION CRONLOG SYSLOGLINE SYSLOG5424PRI
                       SYSLOG5424SD SYSLOG5424BASE SYSLOG5424LINE""",
    "maven": "MAVEN_VERSION",
    "mcollective": "MCOLLECTIVE MCOLLECTIVEAUDIT",
    "mongodb": "MONGO_LOG MONGO_QUERY MONGO_SLOWQUERY MONGO_WORDDASH MONGO3_SEVERITY MONGO3_COMPONENT MONGO3_LOG",
    "nagios": """NAGIOSTIME NAGIOS_TYPE_CURRENT_SERVICE_STATE NAGIOS_TYPE_CURRENT_HOST_STATE NAGIOS_TYPE_SERVICE_NOTIFICATION
                 NAGIOS_TYPE_HOST_NOTIFICATION NAGIOS_TYPE_SERVICE_ALERT NAGIOS_TYPE_HOST_ALERT
                 NAGIOS_TYPE_SERVICE_FLAPPING_ALERT NAGIOS_TYPE_HOST_FLAPPING_ALERT NAGIOS_TYPE_SERVICE_DOWNTIME_ALERT
                 NAGIOS_TYPE_HOST_DOWNTIME_ALERT NAGIOS_TYPE_PASSIVE_SERVICE_CHECK NAGIOS_TYPE_PASSIVE_HOST_CHECK
                 NAGIOS_TYPE_SERVICE_EVENT_HANDLER NAGIOS_TYPE_HOST_EVENT_HANDLER NAGIOS_TYPE_EXTERNAL_COMMAND
                 NAGIOS_TYPE_TIMEPERIOD_TRANSITION NAGIOS_EC_DISABLE_SVC_CHECK NAGIOS_EC_ENABLE_SVC_CHECK
                 NAGIOS_EC_DISABLE_HOST_CHECK NAGIOS_EC_ENABLE_HOST_CHECK NAGIOS_EC_PROCESS_SERVICE_CHECK_RESULT
                 NAGIOS_EC_PROCESS_HOST_CHECK_RESULT NAGIOS_EC_SCHEDULE_SERVICE_DOWNTIME NAGIOS_EC_SCHEDULE_HOST_DOWNTIME
                 NAGIOS_EC_DISABLE_HOST_SVC_NOTIFICATIONS NAGIOS_EC_ENABLE_HOST_SVC_NOTIFICATIONS
                 NAGIOS_EC_DISABLE_HOST_NOTIFICATIONS NAGIOS_EC_ENABLE_HOST_NOTIFICATIONS
                 NAGIOS_EC_DISABLE_SVC_NOTIFICATIONS NAGIOS_EC_ENABLE_SVC_NOTIFICATIONS NAGIOS_WARNING
                 NAGIOS_CURRENT_SERVICE_STATE NAGIOS_CURRENT_HOST_STATE NAGIOS_SERVICE_NOTIFICATION
                 NAGIOS_HOST_NOTIFICATION NAGIOS_SERVICE_ALERT NAGIOS_HOST_ALERT NAGIOS_SERVICE_FLAPPING_ALERT
                 NAGIOS_HOST_FLAPPING_ALERT NAGIOS_SERVICE_DOWNTIME_ALERT NAGIOS_HOST_DOWNTIME_ALERT
                 NAGIOS_PASSIVE_SERVICE_CHECK NAGIOS_PASSIVE_HOST_CHECK NAGIOS_SERVICE_EVENT_HANDLER
                 NAGIOS_HOST_EVENT_HANDLER NAGIOS_TIMEPERIOD_TRANSITION NAGIOS_EC_LINE_DISABLE_SVC_CHECK
                 NAGIOS_EC_LINE_DISABLE_HOST_CHECK NAGIOS_EC_LINE_ENABLE_SVC_CHECK NAGIOS_EC_LINE_ENABLE_HOST_CHECK
                 NAGIOS_EC_LINE_PROCESS_SERVICE_CHECK_RESULT NAGIOS_EC_LINE_PROCESS_HOST_CHECK_RESULT
                 NAGIOS_EC_LINE_DISABLE_HOST_SVC_NOTIFICATIONS NAGIOS_EC_LINE_DISABLE_HOST_NOTIFICATIONS
                 NAGIOS_EC_LINE_DISABLE_SVC_NOTIFICATIONS NAGIOS_EC_LINE_ENABLE_HOST_SVC_NOTIFICATIONS
                 NAGIOS_EC_LINE_ENABLE_HOST_NOTIFICATIONS NAGIOS_EC_LINE_ENABLE_SVC_NOTIFICATIONS
                 NAGIOS_EC_LINE_SCHEDULE_HOST_DOWNTIME NAGIOSLOGLINE""",
    "postgresql": "POSTGRESQL",
    "rails": "RUUID RCONTROLLER RAILS3HEAD RPROCESSING RAILS3FOOT RAILS3PROFILE RAILS3",
    "redis": "REDISTIMESTAMP REDISLOG REDISMONLOG",
    "ruby": "RUBY_LOGLEVEL RUBY_LOGGER",
    "squid": "SQUID3_STATUS SQUID3",
    "zeek": "ZEEK_BOOL ZEEK_DATA ZEEK_HTTP ZEEK_DNS ZEEK_CONN ZEEK_FILES_TX_HOSTS ZEEK_FILES_RX_HOSTS ZEEK_FILES",
}
ES_FAMILIES = {family: names.split() for family, names in ES_ECS_V1_NAMES.items()}


def bank_file(folder: str, family: str) -> dict[str, str]:
    path = BANK_DIR / folder / family
    return parse_pattern_file(path.read_text(encoding="utf-8"), str(path)) if path.exists() else {}


def test_the_v1_bank_defines_exactly_elasticsearchs_names():
    expected = [name for names in ES_FAMILIES.values() for name in names]
    assert len(expected) == len(set(expected)) == 361
    assert set(ECS) == set(expected)


@pytest.mark.parametrize("family", sorted(ES_FAMILIES))
def test_each_name_lives_in_the_file_of_its_family(family: str):
    # ingesthost: ecs-v1/<family>, or common/<family> for a name both banks share
    mine = bank_file("ecs-v1", family)
    shared = bank_file("common", family)
    assert not set(mine) & set(shared)
    assert set(mine) | set(shared) == set(ES_FAMILIES[family])


def test_the_v1_bank_has_no_other_file():
    assert {p.name for p in (BANK_DIR / "ecs-v1").iterdir() if not p.name.startswith((".", "_"))} <= set(ES_FAMILIES)


@pytest.mark.parametrize("name", sorted(ECS))
def test_every_v1_name_compiles(name: str):
    # ingesthost: each name expands and compiles (Python's re after the Oniguruma translation)
    expression = GrokExpression("%{" + name + ":x}", ECS)
    assert expression.fields[0][1] == "x"


COMMON_NAMES = sorted({name for path in (BANK_DIR / "common").iterdir() if not path.name.startswith((".", "_"))
                       for name in parse_pattern_file(path.read_text(encoding="utf-8"), str(path))})


@pytest.mark.parametrize("name", COMMON_NAMES)
def test_shared_names_capture_nothing_in_either_bank(name: str):
    # ingesthost: a name in common/ is the same text in both banks and captures no field in either
    assert ECS[name] == LEGACY[name]
    assert GrokExpression("%{" + name + "}", ECS).fields == []
    assert GrokExpression("%{" + name + "}", LEGACY).fields == []


# == composite log formats: a line, and the whole document ============================================

# Each case: the patterns, the line (the "message" field), and what the processor adds or
# replaces; a "message" in the expectation replaces the line, as Elasticsearch's grok writes
# a captured field over the one it read.
SAMPLES = [
    # Elasticsearch GrokTests.testApacheLog (ECS half: the same values)
    pytest.param(
        ["%{COMBINEDAPACHELOG}"],
        (
            "31.184.238.164 - - [24/Jul/2014:05:35:37 +0530] \"GET /logs/access.log HTTP/1.0\" 200 69849"
            " \"http://8rursodiol.enjin.com\" \"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like"
            " Gecko) Chrome/30.0.1599.12785 YaBrowser/13.12.1599.12785 Safari/537.36\" \"www.dlwindianrailways.com\""
        ),
        {
            "http": {
                        "request": {"method": "GET", "referrer": "http://8rursodiol.enjin.com"},
                        "response": {"body": {"bytes": 69849}, "status_code": 200},
                        "version": "1.0",
                    },
            "source": {"address": "31.184.238.164"},
            "timestamp": "24/Jul/2014:05:35:37 +0530",
            "url": {"original": "/logs/access.log"},
            "user_agent": {
                              "original": (
                                              "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like"
                                              " Gecko) Chrome/30.0.1599.12785 YaBrowser/13.12.1599.12785"
                                              " Safari/537.36"
                                          ),
                          },
        },
        id="HTTPD_COMBINEDLOG",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'email address in auth field'
    pytest.param(
        ["%{HTTPD_COMBINEDLOG}"],
        (
            "10.0.0.1 - username@example.com [07/Apr/2016:18:42:24 +0000] \"GET"
            " /bar/foo/users/1/username%40example.com/authenticate?token=blargh&client_id=15 HTTP/1.1\" 400 75 \"\""
            " \"Mozilla/5.0 (iPad; CPU OS 9_3_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0"
            " Mobile/13E238 Safari/601.1\""
        ),
        {
            "http": {
                        "request": {"method": "GET", "referrer": ""},
                        "response": {"body": {"bytes": 75}, "status_code": 400},
                        "version": "1.1",
                    },
            "source": {"address": "10.0.0.1"},
            "timestamp": "07/Apr/2016:18:42:24 +0000",
            "url": {"original": "/bar/foo/users/1/username%40example.com/authenticate?token=blargh&client_id=15"},
            "user": {"name": "username@example.com"},
            "user_agent": {
                              "original": (
                                              "Mozilla/5.0 (iPad; CPU OS 9_3_1 like Mac OS X) AppleWebKit/601.1.46"
                                              " (KHTML, like Gecko) Version/9.0 Mobile/13E238 Safari/601.1"
                                          ),
                          },
        },
        id="HTTPD_COMBINEDLOG email",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'sample OPTIONS line' (common part; no status: none
    # captured)
    pytest.param(
        ["%{HTTPD_COMMONLOG}"],
        (
            "83.149.9.216 - a.user [11/Jan/2020:23:05:27 +0100] \"OPTIONS /remote.php/ HTTP/1.1\" - 7908 \"-\""
            " \"monitoring-client (v2.2)\""
        ),
        {
            "http": {"request": {"method": "OPTIONS"}, "response": {"body": {"bytes": 7908}}, "version": "1.1"},
            "source": {"address": "83.149.9.216"},
            "timestamp": "11/Jan/2020:23:05:27 +0100",
            "url": {"original": "/remote.php/"},
            "user": {"name": "a.user"},
        },
        id="HTTPD_COMMONLOG",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'a short httpd 2.4 message' (value2)
    pytest.param(
        ["%{HTTPD_ERRORLOG}"],
        "[Thu Apr 27 10:39:46.719636 2017] [php7:notice] [pid 17] [client 10.255.0.3:49580] Test error log record",
        {
            "apache": {"error": {"module": "php7"}},
            "log": {"level": "notice"},
            "message": "Test error log record",
            "process": {"pid": 17},
            "source": {"address": "10.255.0.3", "port": 49580},
            "timestamp": "Thu Apr 27 10:39:46.719636 2017",
        },
        id="HTTPD_ERRORLOG 2.4",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'a httpd 2.2 log message'
    pytest.param(
        ["%{HTTPD_ERRORLOG}"],
        "[Mon Aug 31 16:27:04 2015] [error] [client 10.17.42.3] Premature end of script headers: example.com",
        {
            "log": {"level": "error"},
            "message": "Premature end of script headers: example.com",
            "source": {"address": "10.17.42.3"},
            "timestamp": "Mon Aug 31 16:27:04 2015",
        },
        id="HTTPD_ERRORLOG 2.2",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'a httpd 2.4 message witout module'
    pytest.param(
        ["%{HTTPD_ERRORLOG}"],
        (
            "[Tue Apr 14 14:27:52.605084 2020] [:error] [pid 5688] [client 192.168.10.110:8196] script"
            " '/login/wp-login.php' not found or unable to stat"
        ),
        {
            "log": {"level": "error"},
            "message": "script '/login/wp-login.php' not found or unable to stat",
            "process": {"pid": 5688},
            "source": {"address": "192.168.10.110", "port": 8196},
            "timestamp": "Tue Apr 14 14:27:52.605084 2020",
        },
        id="HTTPD_ERRORLOG nomodule",
    ),
    # Elasticsearch GrokTests.testSimpleSyslogLine (ECS half)
    pytest.param(
        ["%{SYSLOGLINE}"],
        "Mar 16 00:01:25 evita postfix/smtpd[1713]: connect from camomile.cloud9.net[168.100.1.3]",
        {
            "host": {"hostname": "evita"},
            "message": "connect from camomile.cloud9.net[168.100.1.3]",
            "process": {"name": "postfix/smtpd", "pid": 1713},
            "timestamp": "Mar 16 00:01:25",
        },
        id="SYSLOGLINE",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, 'parses (non-syslog) mesages without hostname'
    pytest.param(
        ["%{SYSLOGLINE}"],
        "Jan 11 22:33:44 su: 'su root' failed for luser on /dev/pts/8",
        {
            "message": "'su root' failed for luser on /dev/pts/8",
            "process": {"name": "su"},
            "timestamp": "Jan 11 22:33:44",
        },
        id="SYSLOGLINE nohost",
    ),
    # ingesthost: an ISO timestamp and a <facility.priority> part
    pytest.param(
        ["%{SYSLOGLINE}"],
        "2021-07-14T13:36:03.123+02:00 <4.6> precision sshd[42]: Accepted publickey for root",
        {
            "host": {"hostname": "precision"},
            "log": {"syslog": {"facility": {"code": 4}, "priority": 6}},
            "message": "Accepted publickey for root",
            "process": {"name": "sshd", "pid": 42},
            "timestamp": "2021-07-14T13:36:03.123+02:00",
        },
        id="SYSLOGLINE facility",
    ),
    # Elasticsearch GrokTests.testSyslog5424Line (ECS half)
    pytest.param(
        ["%{SYSLOG5424LINE}"],
        (
            "<191>1 2009-06-30T18:30:00+02:00 paxton.local grokdebug 4123 - [id1 foo=\\\"bar\\\"][id2"
            " baz=\\\"something\\\"] Hello, syslog."
        ),
        {
            "host": {"hostname": "paxton.local"},
            "log": {"syslog": {"priority": 191}},
            "message": "Hello, syslog.",
            "process": {"name": "grokdebug", "pid": 4123},
            "system": {
                          "syslog": {
                                        "structured_data": "[id1 foo=\\\"bar\\\"][id2 baz=\\\"something\\\"]",
                                        "version": "1",
                                    },
                      },
            "timestamp": "2009-06-30T18:30:00+02:00",
        },
        id="SYSLOG5424LINE",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, 'matches milli-second precision timestamp (Z) and msgid'
    pytest.param(
        ["%{SYSLOG5424LINE}"],
        "<34>1 2030-10-11T22:14:15.003Z the.borg.com su - m:WR-ID47 - BOM'su root' failed for borg on /dev/pts/7",
        {
            "event": {"code": "m:WR-ID47"},
            "host": {"hostname": "the.borg.com"},
            "log": {"syslog": {"priority": 34}},
            "message": "BOM'su root' failed for borg on /dev/pts/7",
            "process": {"name": "su"},
            "system": {"syslog": {"version": "1"}},
            "timestamp": "2030-10-11T22:14:15.003Z",
        },
        id="SYSLOG5424LINE msgid",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, SYSLOGPAMSESSION 'matches'
    pytest.param(
        ["%{SYSLOGPAMSESSION}"],
        "Jul 14 13:36:03 precision pkexec: pam_unix(polkit-1:session): session opened for user root by (uid=1001)",
        {
            "host": {"hostname": "precision"},
            "message": "pam_unix(polkit-1:session): session opened for user root by (uid=1001)",
            "process": {"name": "pkexec"},
            "system": {
                          "auth": {
                                      "pam": {
                                                 "module": "pam_unix",
                                                 "origin": "polkit-1:session",
                                                 "session_state": "opened",
                                             },
                                  },
                      },
            "timestamp": "Jul 14 13:36:03",
            "user": {"name": "root"},
        },
        id="SYSLOGPAMSESSION",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, CRONLOG 'matches'
    pytest.param(
        ["%{CRONLOG}"],
        "Jul 17 12:17:01 precision CRON[869568]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
        {
            "host": {"hostname": "precision"},
            "message": "   cd / && run-parts --report /etc/cron.hourly",
            "process": {"name": "CRON", "pid": 869568},
            "system": {"cron": {"action": "CMD"}},
            "timestamp": "Jul 17 12:17:01",
            "user": {"name": "root"},
        },
        id="CRONLOG",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, JAVASTACKTRACEPART
    pytest.param(
        ["%{JAVASTACKTRACEPART}"],
        "  at com.sample.stacktrace.StackTraceExample.aMethod(StackTraceExample.java:42)",
        {
            "java": {"log": {"origin": {"class": {"name": "com.sample.stacktrace.StackTraceExample"}}}},
            "log": {"origin": {"file": {"line": 42, "name": "StackTraceExample.java"}, "function": "aMethod"}},
        },
        id="JAVASTACKTRACEPART",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, CATALINALOG 'Tomcat 9.0'
    pytest.param(
        ["%{CATALINALOG}"],
        (
            "31-Jul-2020 16:40:38.505 INFO [localhost-startStop-1]"
            " org.apache.catalina.startup.HostConfig.deployDirectory Deployment of web application directory"
            " [/opt/temp/apache-tomcat-8.5.57/webapps/ROOT] has finished in [40] ms"
        ),
        {
            "java": {
                        "log": {
                                   "origin": {
                                                 "class": {"name": "org.apache.catalina.startup.HostConfig"},
                                                 "thread": {"name": "localhost-startStop-1"},
                                             },
                               },
                    },
            "log": {"level": "INFO", "origin": {"function": "deployDirectory"}},
            "message": (
                           "Deployment of web application directory [/opt/temp/apache-tomcat-8.5.57/webapps/ROOT] has"
                           " finished in [40] ms"
                       ),
            "timestamp": "31-Jul-2020 16:40:38.505",
        },
        id="CATALINALOG 9",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, CATALINALOG 'Tomcat 6.0' (two lines: \s* crosses the
    # line end)
    pytest.param(
        ["%{CATALINALOG}"],
        (
            "Jul 30, 2020 3:00:21 PM org.apache.coyote.http11.Http11Protocol init\nINFO: Initializing Coyote HTTP/1.1"
            " on http-8080"
        ),
        {
            "java": {"log": {"origin": {"class": {"name": "org.apache.coyote.http11.Http11Protocol"}}}},
            "log": {"level": "INFO", "origin": {"function": "init"}},
            "message": "Initializing Coyote HTTP/1.1 on http-8080",
            "timestamp": "Jul 30, 2020 3:00:21 PM",
        },
        id="CATALINALOG 6",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, TOMCATLOG '(weird) example format'
    pytest.param(
        ["%{TOMCATLOG}"],
        (
            "2014-01-09 20:03:28,269 -0800 | ERROR | com.example.service.ExampleService - something compeletely"
            " unexpected happened..."
        ),
        {
            "java": {"log": {"origin": {"class": {"name": "com.example.service.ExampleService"}}}},
            "log": {"level": "ERROR"},
            "message": "something compeletely unexpected happened...",
            "timestamp": "2014-01-09 20:03:28,269 -0800",
        },
        id="TOMCATLOG legacy",
    ),
    # logstash-patterns-core spec/patterns/aws_spec.rb, 'parsing an access log'
    pytest.param(
        ["%{ELB_ACCESS_LOG}"],
        (
            "2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048"
            " 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\""
        ),
        {
            "aws": {
                       "elb": {
                                  "backend": {
                                                 "http": {"response": {"status_code": 200}},
                                                 "ip": "10.0.0.1",
                                                 "port": 80,
                                             },
                                  "backend_processing_time": {"sec": 0.001048},
                                  "name": "my-test-loadbalancer",
                                  "request_processing_time": {"sec": 7.3e-05},
                                  "response_processing_time": {"sec": 5.7e-05},
                              },
                   },
            "http": {
                        "request": {"body": {"bytes": 0}, "method": "GET"},
                        "response": {"body": {"bytes": 29}, "status_code": 200},
                        "version": "1.1",
                    },
            "source": {"ip": "192.168.131.39", "port": 2817},
            "timestamp": "2014-02-15T23:39:43.945958Z",
            "url": {
                       "domain": "www.example.com",
                       "original": "http://www.example.com:80/",
                       "path": "/",
                       "port": 80,
                       "scheme": "http",
                   },
        },
        id="ELB_ACCESS_LOG",
    ),
    # logstash-patterns-core spec/patterns/aws_spec.rb, 'parsing a PUT request access log with missing backend info'
    pytest.param(
        ["%{ELB_ACCESS_LOG}"],
        (
            "2015-04-10T08:11:09.865823Z us-west-1-production-media 49.150.87.133:55128 - -1 -1 -1 408 - 1294336 0"
            " \"PUT https://media.xxxyyyzzz.com:443/videos/F4_M-T4X0MM6Hvy1PFHesw HTTP/1.1\""
        ),
        {
            "aws": {"elb": {"name": "us-west-1-production-media"}},
            "http": {
                        "request": {"body": {"bytes": 1294336}, "method": "PUT"},
                        "response": {"body": {"bytes": 0}, "status_code": 408},
                        "version": "1.1",
                    },
            "source": {"ip": "49.150.87.133", "port": 55128},
            "timestamp": "2015-04-10T08:11:09.865823Z",
            "url": {
                       "domain": "media.xxxyyyzzz.com",
                       "original": "https://media.xxxyyyzzz.com:443/videos/F4_M-T4X0MM6Hvy1PFHesw",
                       "path": "/videos/F4_M-T4X0MM6Hvy1PFHesw",
                       "port": 443,
                       "scheme": "https",
                   },
        },
        id="ELB_ACCESS_LOG missing",
    ),
    # logstash-patterns-core spec/patterns/aws_spec.rb, '(new) https format'
    pytest.param(
        ["%{ELB_ACCESS_LOG}"],
        (
            "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337"
            " 200 200 0 57 \"GET https://www.example.com:443/ HTTP/1.1\" \"curl/7.38.0 (#56-0ef1d4a5)\""
            " DHE-RSA-AES128-SHA TLSv1.2"
        ),
        {
            "aws": {
                       "elb": {
                                  "backend": {
                                                 "http": {"response": {"status_code": 200}},
                                                 "ip": "10.0.0.1",
                                                 "port": 80,
                                             },
                                  "backend_processing_time": {"sec": 0.001048},
                                  "name": "my-loadbalancer",
                                  "request_processing_time": {"sec": 8.6e-05},
                                  "response_processing_time": {"sec": 0.001337},
                                  "ssl_protocol": "TLSv1.2",
                              },
                   },
            "http": {
                        "request": {"body": {"bytes": 0}, "method": "GET"},
                        "response": {"body": {"bytes": 57}, "status_code": 200},
                        "version": "1.1",
                    },
            "source": {"ip": "192.168.131.39", "port": 2817},
            "timestamp": "2015-05-13T23:39:43.945958Z",
            "tls": {"cipher": "DHE-RSA-AES128-SHA"},
            "url": {
                       "domain": "www.example.com",
                       "original": "https://www.example.com:443/",
                       "path": "/",
                       "port": 443,
                       "scheme": "https",
                   },
            "user_agent": {"original": "curl/7.38.0 (#56-0ef1d4a5)"},
        },
        id="ELB_ACCESS_LOG https",
    ),
    # logstash-patterns-core spec/patterns/aws_spec.rb, S3_ACCESS_LOG 'a long line' (Elasticsearch's own copy
    # does not compile)
    pytest.param(
        ["%{S3_ACCESS_LOG}"],
        (
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38"
            " +0000] 192.0.2.3 arn:aws:iam::123456:user/test@elastic.co A1206F460EXAMPLE REST.GET.BUCKETPOLICY -"
            " \"GET /awsexamplebucket1?policy HTTP/1.1\" 404 NoSuchBucketPolicy 297 - 38 12 \"-\""
            " \"AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590"
            " Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64\" -"
            " BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234= SigV2"
            " ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"
        ),
        {
            "aws": {
                       "s3access": {
                                       "authentication_type": "AuthHeader",
                                       "bucket": "awsexamplebucket1",
                                       "bucket_owner": (
                                                           "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
                                                       ),
                                       "bytes_sent": 297,
                                       "error_code": "NoSuchBucketPolicy",
                                       "host_header": "awsexamplebucket1.s3.us-west-1.amazonaws.com",
                                       "host_id": (
                                                      "BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234="
                                                  ),
                                       "operation": "REST.GET.BUCKETPOLICY",
                                       "request_id": "A1206F460EXAMPLE",
                                       "request_uri": "GET /awsexamplebucket1?policy HTTP/1.1",
                                       "signature_version": "SigV2",
                                       "tls_version": "TLSV1.1",
                                       "total_time": 38,
                                       "turn_around_time": 12,
                                   },
                   },
            "client": {"ip": "192.0.2.3", "user": {"id": "arn:aws:iam::123456:user/test@elastic.co"}},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 404}, "version": "1.1"},
            "timestamp": "06/Feb/2019:00:00:38 +0000",
            "tls": {"cipher": "ECDHE-RSA-AES128-GCM-SHA256"},
            "url": {"original": "/awsexamplebucket1?policy"},
            "user_agent": {
                              "original": (
                                              "AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.590"
                                              " Linux/4.9.137-0.1.ac.218.74.329.metal1.x86_64"
                                          ),
                          },
        },
        id="S3_ACCESS_LOG",
    ),
    # logstash-patterns-core spec/patterns/aws_spec.rb, 'parsing a GET.OBJECT message'
    pytest.param(
        ["%{S3_ACCESS_LOG}"],
        (
            "79a5 mybucket [12/May/2014:07:54:01 +0000] 10.0.1.2 - 7ACC4BE89EXAMPLE REST.GET.OBJECT foo/bar.html"
            " \"GET /foo/bar.html HTTP/1.1\" 304 - - 1718 10 - \"-\" \"Mozilla/5.0\" -"
        ),
        {
            "aws": {
                       "s3access": {
                                       "bucket": "mybucket",
                                       "bucket_owner": "79a5",
                                       "key": "foo/bar.html",
                                       "object_size": 1718,
                                       "operation": "REST.GET.OBJECT",
                                       "request_id": "7ACC4BE89EXAMPLE",
                                       "request_uri": "GET /foo/bar.html HTTP/1.1",
                                       "total_time": 10,
                                   },
                   },
            "client": {"ip": "10.0.1.2"},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 304}, "version": "1.1"},
            "timestamp": "12/May/2014:07:54:01 +0000",
            "url": {"original": "/foo/bar.html"},
            "user_agent": {"original": "Mozilla/5.0"},
        },
        id="S3_ACCESS_LOG short",
    ),
    # logstash-patterns-core spec/patterns/aws_spec.rb, CLOUDFRONT_ACCESS_LOG
    pytest.param(
        ["%{CLOUDFRONT_ACCESS_LOG}"],
        TAB.join([
            "2016-06-10", "18:41:39", "IAD53", "224281", "192.168.1.1", "GET", "d27enomp470abc.cloudfront.net",
            "/content/sample/thing.pdf", "200", "https://example.com/",
            "Mozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36%2520(KHTML,%2520like%2520Gecko)%2520Chrome/51.0.2704.79%2520Safari/537.36",
            "-", "-", "Miss", "UGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg==", "host.example.com", "https",
            "883", "0.036", "-", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "RefreshHit",
        ]),
        {
            "aws": {
                       "cloudfront": {
                                         "http": {"request": {"host": "host.example.com"}},
                                         "ssl_protocol": "TLSv1.2",
                                         "time_taken": 0.036,
                                         "x_edge_location": "IAD53",
                                         "x_edge_request_id": (
                                                                  "UGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg=="
                                                              ),
                                         "x_edge_response_result_type": "RefreshHit",
                                         "x_edge_result_type": "Miss",
                                     },
                   },
            "destination": {"bytes": 224281},
            "http": {
                        "request": {"method": "GET", "referrer": "https://example.com/"},
                        "response": {"status_code": 200},
                    },
            "network": {"protocol": "https"},
            "source": {"bytes": 883, "ip": "192.168.1.1"},
            "timestamp": "2016-06-10\t18:41:39",
            "tls": {"cipher": "ECDHE-RSA-AES128-GCM-SHA256"},
            "url": {"domain": "d27enomp470abc.cloudfront.net", "path": "/content/sample/thing.pdf"},
            "user_agent": {
                              "original": (
                                              "Mozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36%2520(KHTML,%2520like%2520Gecko)%2520Chrome/51.0.2704.79%2520Safari/537.36"
                                          ),
                          },
        },
        id="CLOUDFRONT_ACCESS_LOG",
    ),
    # logstash-patterns-core spec/patterns/bind_spec.rb
    pytest.param(
        ["%{BIND9}"],
        (
            "17-Feb-2018 23:06:56.326 queries: info: client 172.26.0.1#12345 (test.example.com): query:"
            " test.example.com IN A +E(0)K (172.26.0.3)"
        ),
        {
            "bind": {"log": {"question": {"flags": "+E(0)K", "name": "test.example.com"}}},
            "bing": {"log": {"category": "queries"}},
            "client": {"ip": "172.26.0.1", "port": 12345},
            "dns": {"question": {"class": "IN", "name": "test.example.com", "type": "A"}},
            "log": {"level": "info"},
            "server": {"ip": "172.26.0.3"},
            "timestamp": "17-Feb-2018 23:06:56.326",
        },
        id="BIND9",
    ),
    # logstash-patterns-core spec/patterns/bro_spec.rb, BRO_HTTP
    pytest.param(
        ["%{BRO_HTTP}"],
        TAB.join([
            "1432555199.633017", "COpk6E3vkURP8QQNKl", "192.168.9.35", "55281", "178.236.7.146", "80", "4", "POST",
            "www.amazon.it", "/xa/dealcontent/v2/GetDeals?nocache=1432555199326", "http://www.amazon.it/",
            "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36",
            "223", "1859", "200", "OK", "-", "-", "-", "(empty)", "kares", "-", "-", "FrLEcY3AUPKdcYGf29",
            "text/plain", "FOJpbGzIMh9syPxH8", "text/plain",
        ]),
        {
            "destination": {"ip": "178.236.7.146", "port": 80},
            "http": {
                        "request": {
                                       "body": {"bytes": 223},
                                       "method": "POST",
                                       "mime_type": "text/plain",
                                       "referrer": "http://www.amazon.it/",
                                   },
                        "response": {"body": {"bytes": 1859}, "mime_type": "text/plain", "status_code": 200},
                    },
            "source": {"ip": "192.168.9.35", "port": 55281},
            "timestamp": "1432555199.633017",
            "url": {
                       "domain": "www.amazon.it",
                       "original": "/xa/dealcontent/v2/GetDeals?nocache=1432555199326",
                       "username": "kares",
                   },
            "user_agent": {
                              "original": (
                                              "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like"
                                              " Gecko) Chrome/42.0.2311.135 Safari/537.36"
                                          ),
                          },
            "zeek": {
                        "http": {
                                    "orig_fuids": "FrLEcY3AUPKdcYGf29",
                                    "resp_fuids": "FOJpbGzIMh9syPxH8",
                                    "status_msg": "OK",
                                    "trans_depth": 4,
                                },
                        "session_id": "COpk6E3vkURP8QQNKl",
                    },
        },
        id="BRO_HTTP",
    ),
    # logstash-patterns-core spec/patterns/bro_spec.rb, BRO_DNS
    pytest.param(
        ["%{BRO_DNS}"],
        TAB.join([
            "1359565680.761790", "UWkUyAuUGXf", "192.168.6.10", "53209", "192.168.129.36", "53", "udp", "41477",
            "paypal.com", "1", "C_INTERNET", "48", "DNSKEY", "0", "NOERROR", "F", "F", "T", "F", "1", "-", "-", "F",
        ]),
        {
            "destination": {"ip": "192.168.129.36", "port": 53},
            "dns": {"id": 41477, "question": {"name": "paypal.com", "type": "DNSKEY"}, "response_code": "NOERROR"},
            "network": {"transport": "udp"},
            "source": {"ip": "192.168.6.10", "port": 53209},
            "timestamp": "1359565680.761790",
            "zeek": {
                        "dns": {
                                   "AA": "F",
                                   "RA": "F",
                                   "RD": "T",
                                   "TC": "F",
                                   "Z": 1,
                                   "qclass": 1,
                                   "qclass_name": "C_INTERNET",
                                   "qtype": 48,
                                   "rcode": 0,
                                   "rejected": "F",
                               },
                        "session_id": "UWkUyAuUGXf",
                    },
        },
        id="BRO_DNS",
    ),
    # logstash-patterns-core spec/patterns/bro_spec.rb, ZEEK_HTTP 'sample message'
    pytest.param(
        ["%{ZEEK_HTTP}"],
        TAB.join([
            "1602165002.455618", "CWGOypTfRypTC5C4g", "192.168.122.59", "44136", "216.58.201.110", "80", "1", "-",
            "-", "-", "-", "1.1", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:81.0) Gecko/20100101 Firefox/81.0",
            "https://example.com", "0", "219", "301", "Moved Permanently", "-", "-", "FOO,BAR", "-", "-", "-", "-",
            "-", "-", "FeJ7iiVorMXoLlRK", "-", "text/html",
        ]),
        {
            "destination": {"ip": "216.58.201.110", "port": 80},
            "http": {
                        "request": {"body": {"bytes": 0}},
                        "response": {"body": {"bytes": 219}, "mime_type": "text/html", "status_code": 301},
                        "version": "1.1",
                    },
            "source": {"ip": "192.168.122.59", "port": 44136},
            "timestamp": "1602165002.455618",
            "user_agent": {"original": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:81.0) Gecko/20100101 Firefox/81.0"},
            "zeek": {
                        "http": {
                                    "origin": "https://example.com",
                                    "resp_fuids": "FeJ7iiVorMXoLlRK",
                                    "status_msg": "Moved Permanently",
                                    "tags": "FOO,BAR",
                                    "trans_depth": 1,
                                },
                        "session_id": "CWGOypTfRypTC5C4g",
                    },
        },
        id="ZEEK_HTTP",
    ),
    # logstash-patterns-core spec/patterns/bro_spec.rb, ZEEK_DNS
    pytest.param(
        ["%{ZEEK_DNS}"],
        TAB.join([
            "1359565680.761790", "CHhAvVGS1DHFjwGM9", "192.168.6.10", "53209", "192.168.129.36", "53", "udp", "41477",
            "0.075138", "paypal.com", "1", "C_INTERNET", "48", "DNSKEY", "0", "NOERROR", "F", "F", "T", "T", "1",
            "DNSKEY 5,DNSKEY 5,RRSIG 48 paypal.com,RRSIG 48 paypal.com",
            "455.000000,455.000000,455.000000,455.000000", "F",
        ]),
        {
            "destination": {"ip": "192.168.129.36", "port": 53},
            "dns": {"id": 41477, "question": {"name": "paypal.com", "type": "DNSKEY"}, "response_code": "NOERROR"},
            "network": {"transport": "udp"},
            "source": {"ip": "192.168.6.10", "port": 53209},
            "timestamp": "1359565680.761790",
            "zeek": {
                        "dns": {
                                   "AA": "F",
                                   "RA": "T",
                                   "RD": "T",
                                   "TC": "F",
                                   "TTLs": "455.000000,455.000000,455.000000,455.000000",
                                   "Z": 1,
                                   "answers": "DNSKEY 5,DNSKEY 5,RRSIG 48 paypal.com,RRSIG 48 paypal.com",
                                   "qclass": 1,
                                   "qclass_name": "C_INTERNET",
                                   "qtype": 48,
                                   "rcode": 0,
                                   "rejected": "F",
                                   "rtt": 0.075138,
                               },
                        "session_id": "CHhAvVGS1DHFjwGM9",
                    },
        },
        id="ZEEK_DNS",
    ),
    # logstash-patterns-core spec/patterns/nagios_spec.rb, 'CURRENT HOST STATE'
    pytest.param(
        ["%{NAGIOSLOGLINE}"],
        "[1427925600] CURRENT HOST STATE: nagioshost;UP;HARD;1;PING OK - Packet loss = 0%, RTA = 2.24 ms",
        {
            "host": {"hostname": "nagioshost"},
            "message": "PING OK - Packet loss = 0%, RTA = 2.24 ms",
            "nagios": {"log": {"attempt": 1, "state_type": "HARD", "type": "CURRENT HOST STATE"}},
            "service": {"state": "UP"},
            "timestamp": "1427925600",
        },
        id="NAGIOS host state",
    ),
    # logstash-patterns-core spec/patterns/nagios_spec.rb, 'SERVICE NOTIFICATION'
    pytest.param(
        ["%{NAGIOSLOGLINE}"],
        (
            "[1427950229] SERVICE NOTIFICATION: nagiosadmin;varnish;Varnish Backend"
            " Connections;CRITICAL;notify-service-by-email;Current value: 337.0, warn threshold: 10.0, crit"
            " threshold: 20.0"
        ),
        {
            "host": {"hostname": "varnish"},
            "message": "Current value: 337.0, warn threshold: 10.0, crit threshold: 20.0",
            "nagios": {"log": {"notification_command": "notify-service-by-email", "type": "SERVICE NOTIFICATION"}},
            "service": {"name": "Varnish Backend Connections", "state": "CRITICAL"},
            "timestamp": "1427950229",
            "user": {"name": "nagiosadmin"},
        },
        id="NAGIOS service notification",
    ),
    # logstash-patterns-core spec/patterns/nagios_spec.rb, 'TIMEPERIOD TRANSITION'
    pytest.param(
        ["%{NAGIOSLOGLINE}"],
        "[1427925600] TIMEPERIOD TRANSITION: 24X7;-1;1",
        {
            "nagios": {"log": {"period_from": -1, "period_to": 1, "type": "TIMEPERIOD TRANSITION"}},
            "service": {"name": "24X7"},
            "timestamp": "1427925600",
        },
        id="NAGIOS timeperiod",
    ),
    # logstash-patterns-core spec/patterns/nagios_spec.rb, 'SCHEDULE_HOST_DOWNTIME' (the lazy last field is
    # empty, and kept)
    pytest.param(
        ["%{NAGIOSLOGLINE}"],
        (
            "[1334609999] EXTERNAL COMMAND:"
            " SCHEDULE_HOST_DOWNTIME;sputnik;1334665800;1334553600;1;0;120;nagiosadmin;test;"
        ),
        {
            "host": {"hostname": "sputnik"},
            "nagios": {
                          "log": {
                                     "command": "SCHEDULE_HOST_DOWNTIME",
                                     "comment": "",
                                     "duration": 120,
                                     "end_time": "1334553600",
                                     "fixed": "1",
                                     "start_time": "1334665800",
                                     "trigger_id": "0",
                                     "type": "EXTERNAL COMMAND",
                                 },
                      },
            "timestamp": "1334609999",
            "user": {"name": "nagiosadmin"},
        },
        id="NAGIOS downtime",
    ),
    # logstash-patterns-core spec/patterns/rails3_spec.rb, 'Parsing RAILS3 multi-line log from raw log file'
    pytest.param(
        ["%{RAILS3}"],
        (
            "Started GET \"/puppet/postfix/notes?target_id=162&target_type=issue&last_fetched_at=1438695732\" for"
            " 127.0.0.1 at 2015-08-05 07:40:22 +0200\nProcessing by Projects::NotesController#index as JSON\n "
            " Parameters: {\"target_id\"=>\"162\", \"target_type\"=>\"issue\", \"last_fetched_at\"=>\"1438695732\","
            " \"namespace_id\"=>\"puppet\", \"project_id\"=>\"postfix\"}\nCompleted 200 OK in 640ms (Views: 1.7ms |"
            " ActiveRecord: 91.0ms)"
        ),
        {
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
            "rails": {
                         "controller": {"action": "index", "class": "Projects::NotesController"},
                         "request": {
                                        "duration": {"active_record": 91.0, "total": 640.0, "view": 1.7},
                                        "explain": {"original": ""},
                                        "format": "JSON",
                                        "params": (
                                                      "\"target_id\"=>\"162\", \"target_type\"=>\"issue\","
                                                      " \"last_fetched_at\"=>\"1438695732\","
                                                      " \"namespace_id\"=>\"puppet\", \"project_id\"=>\"postfix\""
                                                  ),
                                    },
                     },
            "source": {"address": "127.0.0.1"},
            "timestamp": "2015-08-05 07:40:22 +0200",
            "url": {"original": "/puppet/postfix/notes?target_id=162&target_type=issue&last_fetched_at=1438695732"},
        },
        id="RAILS3",
    ),
    # logstash-patterns-core spec/patterns/redis_spec.rb, REDISLOG
    pytest.param(
        ["%{REDISLOG}"],
        "[4018] 14 Nov 07:01:22.119 * Background saving terminated with success",
        {"process": {"pid": 4018}, "timestamp": "14 Nov 07:01:22.119"},
        id="REDISLOG",
    ),
    # logstash-patterns-core spec/patterns/redis_spec.rb, 'REDISMONLOG - ONE PARAM COMMAND'
    pytest.param(
        ["%{REDISMONLOG}"],
        "1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\"",
        {
            "client": {"ip": "127.0.0.1", "port": 60866},
            "redis": {"command": {"args": "\"*\"", "name": "keys"}, "database": {"id": "0"}},
            "timestamp": "1339518083.107412",
        },
        id="REDISMONLOG",
    ),
    # logstash-patterns-core spec/patterns/squid_spec.rb, 'GET sample'
    pytest.param(
        ["%{SQUID3}"],
        (
            "1525334330.556      3 120.65.1.1 TCP_REFRESH_MISS/200 2014 GET http://www.sample.com/hellow_world.txt"
            " public-user DIRECT/www.sample.com text/plain 902351708.872"
        ),
        {
            "destination": {"address": "www.sample.com"},
            "event": {"action": "TCP_REFRESH_MISS"},
            "http": {
                        "request": {"method": "GET"},
                        "response": {"bytes": 2014, "mime_type": "text/plain", "status_code": 200},
                    },
            "source": {"ip": "120.65.1.1"},
            "squid": {"hierarchy_code": "DIRECT", "request": {"duration": 3}},
            "timestamp": "1525334330.556",
            "url": {"original": "http://www.sample.com/hellow_world.txt"},
            "user": {"name": "public-user"},
        },
        id="SQUID3",
    ),
    # logstash-patterns-core spec/patterns/squid_spec.rb, 'CONNECT sample'
    pytest.param(
        ["%{SQUID3}"],
        (
            "1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 -"
            " HIER_DIRECT/53.140.206.134 -"
        ),
        {
            "destination": {"address": "53.140.206.134"},
            "event": {"action": "TCP_TUNNEL"},
            "http": {"request": {"method": "CONNECT"}, "response": {"bytes": 6256, "status_code": 200}},
            "source": {"ip": "10.170.72.111"},
            "squid": {"hierarchy_code": "HIER_DIRECT", "request": {"duration": 16867}},
            "timestamp": "1525344856.899",
            "url": {"original": "logs.ap-southeast-2.amazonaws.com:443"},
        },
        id="SQUID3 connect",
    ),
    # logstash-patterns-core spec/patterns/exim_spec.rb, 'message arrival (new)' (Elasticsearch's own copy does
    # not compile)
    pytest.param(
        ["%{EXIM}"],
        (
            "2010-09-13 05:00:13 [1487] 1Ov4tU-0000Nz-Rm <= mailling.list@domain.com H=mailhost.domain.com"
            " [208.42.54.2]:51792 I=[67.215.162.175]:25 P=esmtps X=TLSv1:AES256-SHA:256 CV=no S=21778"
            " id=384a86a39e83be0d9b3a94d1feb3119f@domain.com T=\"Daily List: Chameleon\" for user@example.com"
        ),
        {
            "destination": {"ip": "67.215.162.175", "port": 25},
            "exim": {
                        "log": {
                                   "flags": "<=",
                                   "header_id": "384a86a39e83be0d9b3a94d1feb3119f@domain.com",
                                   "message": {
                                                  "id": "1Ov4tU-0000Nz-Rm",
                                                  "size": 21778,
                                                  "subject": "Daily List: Chameleon",
                                              },
                                   "recipient": {"email": "user@example.com"},
                                   "sender": {"email": "mailling.list@domain.com"},
                               },
                    },
            "network": {"protocol": "esmtps"},
            "process": {"pid": 1487},
            "source": {"address": "mailhost.domain.com", "ip": "208.42.54.2", "port": 51792},
            "timestamp": "2010-09-13 05:00:13",
        },
        id="EXIM new",
    ),
    # logstash-patterns-core spec/patterns/exim_spec.rb, 'message arrival with quoted hostname'
    pytest.param(
        ["%{EXIM}"],
        (
            "2013-03-20 12:44:02 1UIIN7-0004t9-8R <= root@example.com H=localhost (hostname.example.com) [127.0.0.1]"
            " P=esmtps X=TLSv1:DHE-RSA-AES256-SHA:256 S=811 id=201303201244.r2KCi11V018784@hostname.example.com"
        ),
        {
            "exim": {
                        "log": {
                                   "flags": "<=",
                                   "header_id": "201303201244.r2KCi11V018784@hostname.example.com",
                                   "message": {"id": "1UIIN7-0004t9-8R", "size": 811},
                                   "remote_address": "hostname.example.com",
                                   "sender": {"email": "root@example.com"},
                               },
                    },
            "network": {"protocol": "esmtps"},
            "source": {"address": "localhost", "ip": "127.0.0.1"},
            "timestamp": "2013-03-20 12:44:02",
        },
        id="EXIM helo",
    ),
    # logstash-patterns-core spec/patterns/mongodb_spec.rb, 'parsing an standard/basic message'
    pytest.param(
        ["%{MONGO3_LOG}"],
        "2014-11-03T18:28:32.450-0500 I NETWORK [initandlisten] waiting for connections on port 27017",
        {
            "log": {"level": "I"},
            "message": "waiting for connections on port 27017",
            "mongodb": {"component": "NETWORK", "context": "initandlisten"},
            "timestamp": "2014-11-03T18:28:32.450-0500",
        },
        id="MONGO3_LOG",
    ),
    # logstash-patterns-core spec/patterns/mongodb_spec.rb, 'parsing a message with a missing component'
    pytest.param(
        ["%{MONGO3_LOG}"],
        "2015-02-24T18:17:47.148+0000 F -        [conn11] Got signal: 11 (Segmentation fault).",
        {
            "log": {"level": "F"},
            "message": "Got signal: 11 (Segmentation fault).",
            "mongodb": {"context": "conn11"},
            "timestamp": "2015-02-24T18:17:47.148+0000",
        },
        id="MONGO3_LOG nocomponent",
    ),
    # logstash-patterns-core spec/patterns/bacula_spec.rb, BACULA_LOGLINE (BACULA_LOG_NEW_LABEL)
    pytest.param(
        ["%{BACULA_LOGLINE}"],
        (
            "25-Aug 10:50 bacula-sd JobId 24: Labeled new Volume \"Vol-0018\" on device \"FileChgr1-Dev1\""
            " (/opt/bacula/disk)."
        ),
        {
            "bacula": {
                          "job": {"id": "24"},
                          "volume": {"device": "FileChgr1-Dev1", "name": "Vol-0018", "path": "/opt/bacula/disk"},
                      },
            "host": {"hostname": "bacula-sd"},
            "timestamp": "25-Aug 10:50",
        },
        id="BACULA_LOG",
    ),
    # logstash-patterns-core spec/patterns/bacula_spec.rb, BACULA_LOGLINE (BACULA_LOG_FATAL_CONN)
    pytest.param(
        ["%{BACULA_LOG}"],
        (
            "11-Nov 13:28 bacula-dir JobId 11: Fatal error: bsock.c:133 Unable to connect to Client: dc0-fd on"
            " dc0.teamworld.com:9102. ERR=Connection refused"
        ),
        {
            "bacula": {"client": {"name": "dc0-fd"}, "job": {"id": "11"}},
            "client": {"address": "dc0.teamworld.com", "port": 9102},
            "error": {"message": "Connection refused"},
            "host": {"hostname": "bacula-dir"},
            "timestamp": "11-Nov 13:28",
        },
        id="BACULA_LOG fatal",
    ),
    # logstash-patterns-core spec/patterns/junos_spec.rb, RT_FLOW1
    pytest.param(
        ["%{RT_FLOW1}"],
        (
            "Dec 17 08:05:30 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.10.10.2/53836->10.10.10.1/22"
            " junos-ssh 10.10.10.2/53836->10.10.10.1/22 None None 6 log-host-traffic untrust junos-host 5 78(6657)"
            " 122(13305) 45 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0 No "
        ),
        {
            "destination": {"bytes": 13305, "ip": "10.10.10.1", "nat": {"ip": "10.10.10.1", "port": 22}, "port": 22},
            "juniper": {
                           "srx": {
                                      "elapsed_time": 45,
                                      "reason": "session closed TCP FIN",
                                      "service_name": "junos-ssh",
                                      "session_id": "5",
                                      "tag": "RT_FLOW_SESSION_CLOSE",
                                  },
                       },
            "network": {"iana_number": "6"},
            "observer": {"egress": {"zone": "junos-host"}, "ingress": {"zone": "untrust"}},
            "rule": {"name": "log-host-traffic"},
            "source": {"bytes": 6657, "ip": "10.10.10.2", "nat": {"ip": "10.10.10.2", "port": 53836}, "port": 53836},
        },
        id="RT_FLOW1",
    ),
    # logstash-patterns-core spec/patterns/junos_spec.rb, RT_FLOW3
    pytest.param(
        ["%{RT_FLOW3}"],
        (
            "Sep 29 23:49:20 SRX-1 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.0.0.1/54924->192.168.1.1/53"
            " junos-dns-udp 17(0) default-deny(global) trust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 UNKNOWN policy"
            " deny"
        ),
        {
            "destination": {"ip": "192.168.1.1", "port": 53},
            "juniper": {"srx": {"service_name": "junos-dns-udp", "tag": "RT_FLOW_SESSION_DENY"}},
            "network": {"iana_number": "17"},
            "observer": {"egress": {"zone": "trust"}, "ingress": {"zone": "trust"}},
            "rule": {"name": "default-deny(global)"},
            "source": {"ip": "10.0.0.1", "port": 54924},
        },
        id="RT_FLOW3",
    ),
    # logstash-patterns-core spec/patterns/netscreen_spec.rb, 'traffic denied (Juniper)'
    pytest.param(
        ["%{NETSCREENSESSIONLOG}"],
        (
            "Jun  2 14:53:31 sample-host isg1000-A2: NetScreen device_id=0000011001000011"
            " [Root]system-notification-00257(traffic): start_time=\"2015-11-11 10:02:10\" duration=0 policy_id=244"
            " service=https proto=6 src zone=Untrust dst zone=Trust action=Permit sent=0 rcvd=0 src=74.168.138.252"
            " dst=72.72.72.72 src_port=1732 dst_port=443 src-xlated ip=1.255.20.1 port=22041 dst-xlated"
            " ip=1.244.136.50 port=443 session_id=488451 reason=Creation"
        ),
        {
            "destination": {
                               "address": "72.72.72.72",
                               "bytes": 0,
                               "nat": {"ip": "1.244.136.50", "port": 443},
                               "port": 443,
                           },
            "event": {"action": "Permit", "code": "00257"},
            "netscreen": {
                             "device_id": "0000011001000011",
                             "policy_id": "244",
                             "protocol_number": 6,
                             "service": "https",
                             "session": {
                                            "duration": 0,
                                            "id": "488451",
                                            "reason": "Creation",
                                            "start_time": "2015-11-11 10:02:10",
                                            "type": "traffic",
                                        },
                         },
            "observer": {
                            "egress": {"zone": "Trust"},
                            "hostname": "sample-host",
                            "ingress": {"zone": "Untrust"},
                            "name": "isg1000-A2",
                            "product": "NetScreen",
                        },
            "source": {
                          "address": "74.168.138.252",
                          "bytes": 0,
                          "nat": {"ip": "1.255.20.1", "port": 22041},
                          "port": 1732,
                      },
            "timestamp": "Jun  2 14:53:31",
        },
        id="NETSCREEN",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW106023 'a message with a hostname'
    # (Elasticsearch's copy does not compile)
    pytest.param(
        ["%{CISCOFW106023}"],
        (
            "Deny tcp src outside:192.168.1.1/50240 dst inside:www.example.com/23 by access-group"
            " \"S_OUTSIDE_TO_INSIDE\" [0x54c7fa80, 0x0]"
        ),
        {
            "@metadata": {"cisco": {"asa": {"hashcode1": "0x54c7fa80", "hashcode2": "0x0"}}},
            "cisco": {"asa": {"network": {"transport": "tcp"}, "outcome": "Deny", "rule_name": "S_OUTSIDE_TO_INSIDE"}},
            "destination": {"address": "www.example.com", "port": 23},
            "observer": {"egress": {"interface": {"name": "inside"}}, "ingress": {"interface": {"name": "outside"}}},
            "source": {"ip": "192.168.1.1", "port": 50240},
        },
        id="CISCOFW106023",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW106100 (first hit)
    pytest.param(
        ["%{CISCOFW106100}"],
        (
            "access-list inside permitted tcp inside/10.10.123.45(51763) -> outside/192.168.67.89(80) hit-cnt 1 first"
            " hit [0x62c4905, 0x0]"
        ),
        {
            "@metadata": {"cisco": {"asa": {"hashcode1": "0x62c4905", "hashcode2": "0x0"}}},
            "cisco": {
                         "asa": {
                                    "hit_count": 1,
                                    "network": {"transport": "tcp"},
                                    "outcome": "permitted",
                                    "rule_name": "inside",
                                },
                     },
            "destination": {"ip": "192.168.67.89", "port": 80},
            "observer": {"egress": {"interface": {"name": "outside"}}, "ingress": {"interface": {"name": "inside"}}},
            "source": {"ip": "10.10.123.45", "port": 51763},
        },
        id="CISCOFW106100",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW304001
    pytest.param(
        ["%{CISCOFW304001}"],
        "10.20.30.40(DOMAIN\\login) Accessed URL 10.11.12.13:http://example.org/",
        {
            "destination": {"ip": "10.11.12.13"},
            "source": {"ip": "10.20.30.40", "user": {"name": "DOMAIN\\login"}},
            "url": {"original": "http://example.org/"},
        },
        id="CISCOFW304001",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW106015
    pytest.param(
        ["%{CISCOFW106015}"],
        "Deny TCP (no connection) from 192.168.150.65/2278 to 64.101.128.83/80 flags RST on interface inside",
        {
            "cisco": {
                         "asa": {
                                    "network": {"transport": "TCP"},
                                    "outcome": "Deny",
                                    "rule_name": "no connection",
                                    "tcp_flags": "RST",
                                },
                     },
            "destination": {"ip": "64.101.128.83", "port": 80},
            "observer": {"egress": {"interface": {"name": "inside"}}},
            "source": {"ip": "192.168.150.65", "port": 2278},
        },
        id="CISCOFW106015",
    ),
    # logstash-patterns-core issue #160 (a 733100 message); Elasticsearch's copy never matches it
    pytest.param(
        ["%{CISCOFW733100}"],
        (
            "[ Scanning] drop rate-1 exceeded. Current burst rate is 15 per second, max configured rate is 10;"
            " Current average rate is 61 per second, max configured rate is 5; Cumulative total count is 36837"
        ),
        {
            "cisco": {
                         "asa": {
                                    "burst": {
                                                 "avg_rate": 61,
                                                 "configured_avg_rate": 5,
                                                 "configured_rate": 10,
                                                 "cumulative_count": 36837,
                                                 "current_rate": 15,
                                                 "id": "rate-1",
                                                 "object": "Scanning",
                                             },
                                },
                     },
        },
        id="CISCOFW733100",
    ),
    # ingesthost: an ASA 302013 line with its syslog header
    pytest.param(
        ["%{CISCO_TAGGED_SYSLOG} %{CISCOFW302013_302014_302015_302016}"],
        (
            "<166>Jun 17 2013 11:38:25 fw01 : %ASA-6-302013: Built inbound TCP connection 12345 for"
            " outside:10.0.0.1/1234 (10.0.0.1/1234) to inside:192.168.1.1/80 (192.168.1.1/80)"
        ),
        {
            "cisco": {
                         "asa": {
                                    "connection_id": "12345",
                                    "network": {"direction": "inbound", "transport": "TCP"},
                                    "outcome": "Built",
                                    "tag": "ASA-6-302013",
                                },
                     },
            "destination": {"ip": "192.168.1.1", "nat": {"ip": "192.168.1.1", "port": 80}, "port": 80},
            "host": {"hostname": "fw01"},
            "log": {"syslog": {"priority": 166}},
            "observer": {"egress": {"interface": {"name": "inside"}}, "ingress": {"interface": {"name": "outside"}}},
            "source": {"ip": "10.0.0.1", "nat": {"ip": "10.0.0.1", "port": 1234}, "port": 1234},
            "timestamp": "Jun 17 2013 11:38:25",
        },
        id="CISCO tagged 302013",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, SFW2 'matches' (an empty fragment-flags capture is
    # kept, as Elasticsearch keeps it)
    pytest.param(
        ["%{SFW2}"],
        (
            "Jan 29 00:00:28 myth kernel: SFW2-INext-DROP-DEFLT IN=ppp0 OUT= MAC= SRC=24.64.208.134 DST=216.58.112.55"
            " LEN=512 TOS=0x00 PREC=0x00 TTL=70 ID=55012 PROTO=UDP SPT=24128 DPT=1026 LEN=492"
        ),
        {
            "destination": {"ip": "216.58.112.55", "port": 1026},
            "iptables": {
                            "fragment_flags": "",
                            "id": "55012",
                            "length": 512,
                            "precedence_bits": "00",
                            "tos": "00",
                            "ttl": 70,
                        },
            "network": {"transport": "UDP"},
            "observer": {"hostname": "myth", "ingress": {"interface": {"name": "ppp0"}}},
            "source": {"ip": "24.64.208.134", "port": 24128},
            "suse": {"firewall": {"action": "DROP-DEFLT", "log_prefix": "SFW2-INext-DROP-DEFLT"}},
            "timestamp": "Jan 29 00:00:28",
        },
        id="SFW2",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, SFW2 'long message' (the MAC part Elasticsearch's
    # copy cannot read)
    pytest.param(
        ["%{SFW2}"],
        (
            "Mar  8 20:16:44 black kernel: [20474.050964] SFW2-INext-ACC-TCP IN=eth0 OUT="
            " MAC=28:45:a7:f3:18:00:00:22:15:67:6a:25:08:00 SRC=192.168.0.101 DST=192.168.0.100 LEN=60 TOS=0x00"
            " PREC=0x00 TTL=64 ID=6429 DF PROTO=TCP SPT=59282 DPT=631 WINDOW=14600 RES=0x00 SYN URGP=0 OPT"
            " (020405B40402080A00825F5D0000000001030307)"
        ),
        {
            "destination": {"ip": "192.168.0.100", "mac": "28:45:a7:f3:18:00", "port": 631},
            "iptables": {
                            "fragment_flags": "DF",
                            "id": "6429",
                            "length": 60,
                            "precedence_bits": "00",
                            "tcp": {"flags": "SYN ", "window": 14600},
                            "tcp_reserved_bits": "00",
                            "tos": "00",
                            "ttl": 64,
                        },
            "network": {"transport": "TCP"},
            "observer": {"hostname": "black", "ingress": {"interface": {"name": "eth0"}}},
            "source": {"ip": "192.168.0.101", "mac": "00:22:15:67:6a:25", "port": 59282},
            "suse": {"firewall": {"action": "ACC-TCP", "log_prefix": "SFW2-INext-ACC-TCP"}},
            "timestamp": "Mar  8 20:16:44",
        },
        id="SFW2 mac",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, SFW2 'IPv6 message'
    pytest.param(
        ["%{SFW2}"],
        (
            "Jan 15 11:21:13 IKCS-Web kernel: SFW2-INext-ACC-RELATED IN=eth0 OUT=eth1 MAC="
            " SRC=fe80:0000:0000:0000:16da:e9ff:feec:a04d DST=ff02:0000:0000:0000:0000:0000:0000:00fb LEN=527 TC=0"
            " HOPLIMIT=255 FLOWLBL=804001 PROTO=UDP SPT=5353 DPT=5353 LEN=487"
        ),
        {
            "destination": {"ip": "ff02:0000:0000:0000:0000:0000:0000:00fb", "port": 5353},
            "iptables": {"flow_label": "804001", "length": 527, "ttl": 255},
            "network": {"transport": "UDP"},
            "observer": {
                            "egress": {"interface": {"name": "eth1"}},
                            "hostname": "IKCS-Web",
                            "ingress": {"interface": {"name": "eth0"}},
                        },
            "source": {"ip": "fe80:0000:0000:0000:16da:e9ff:feec:a04d", "port": 5353},
            "suse": {"firewall": {"action": "ACC-RELATED", "log_prefix": "SFW2-INext-ACC-RELATED"}},
            "timestamp": "Jan 15 11:21:13",
        },
        id="SFW2 ipv6",
    ),
    # logstash-patterns-core spec/patterns/shorewall_spec.rb, 'parsing a message without OUT interface'
    pytest.param(
        ["%{SHOREWALL}"],
        (
            "May 28 17:31:07 server Shorewall:net2fw:DROP:IN=eth1 OUT= MAC=00:02:b3:c7:2f:77:38:72:c0:6e:92:9c:08:00"
            " SRC=127.0.0.1 DST=1.2.3.4 LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=6480 DF PROTO=TCP SPT=59088 DPT=8080"
            " WINDOW=2920 RES=0x00 SYN URGP=0"
        ),
        {
            "destination": {"ip": "1.2.3.4", "mac": "00:02:b3:c7:2f:77", "port": 8080},
            "iptables": {
                            "fragment_flags": "DF",
                            "id": "6480",
                            "length": 60,
                            "precedence_bits": "00",
                            "tcp": {"flags": "SYN ", "window": 2920},
                            "tcp_reserved_bits": "00",
                            "tos": "00",
                            "ttl": 49,
                        },
            "network": {"transport": "TCP"},
            "observer": {"hostname": "server", "ingress": {"interface": {"name": "eth1"}}},
            "shorewall": {"firewall": {"action": "DROP", "type": "net2fw"}},
            "source": {"ip": "127.0.0.1", "mac": "38:72:c0:6e:92:9c", "port": 59088},
            "timestamp": "May 28 17:31:07",
        },
        id="SHOREWALL",
    ),
    # logstash-patterns-core spec/patterns/haproxy_spec.rb, 'log line from raw syslog line'
    pytest.param(
        ["%{HAPROXYHTTP}"],
        (
            "Dec  9 13:01:26 localhost haproxy[28029]: 127.0.0.1:39759 [09/Dec/2013:12:59:46.633] loadbalancer"
            " default/instance8 0/51536/1/48082/99627 200 83285 - - ---- 87/87/87/1/0 0/67 {77.24.148.74} \"GET"
            " /path/to/image HTTP/1.1\""
        ),
        {
            "haproxy": {
                           "backend_name": "default",
                           "backend_queue": 67,
                           "connection_wait_time_ms": 1,
                           "connections": {"active": 87, "backend": 87, "frontend": 87, "retries": 0, "server": 1},
                           "frontend_name": "loadbalancer",
                           "http": {
                                       "request": {
                                                      "captured_headers": "77.24.148.74",
                                                      "time_wait_ms": 0,
                                                      "time_wait_without_data_ms": 48082,
                                                  },
                                   },
                           "request_date": "09/Dec/2013:12:59:46.633",
                           "server_name": "instance8",
                           "server_queue": 0,
                           "termination_state": "----",
                           "total_time_ms": "99627",
                           "total_waiting_time_ms": 51536,
                       },
            "host": {"hostname": "localhost"},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}, "version": "1.1"},
            "process": {"name": "haproxy", "pid": 28029},
            "source": {"address": "127.0.0.1", "bytes": 83285, "port": 39759},
            "timestamp": "Dec  9 13:01:26",
            "url": {"original": "/path/to/image", "path": "/path/to/image"},
        },
        id="HAPROXYHTTP",
    ),
    # logstash-patterns-core spec/patterns/haproxy_spec.rb, 'log line with both request/response headers'
    pytest.param(
        ["%{HAPROXYHTTP}"],
        (
            "Jul 30 09:03:52 home.host haproxy[32450]: 1.2.3.4:38862 [30/Jul/2018:09:03:52.726] incoming~"
            " docs_microservice/docs 0/0/1/0/2 304 168 - - ---- 6/6/0/0/0 0/0 {docs.example.internal||} {|||} \"GET"
            " http://192.168.0.12:8080/serv/login.php?lang=en&profile=2 HTTP/1.1\""
        ),
        {
            "haproxy": {
                           "backend_name": "docs_microservice",
                           "backend_queue": 0,
                           "connection_wait_time_ms": 1,
                           "connections": {"active": 6, "backend": 0, "frontend": 6, "retries": 0, "server": 0},
                           "frontend_name": "incoming~",
                           "http": {
                                       "request": {
                                                      "captured_headers": "docs.example.internal||",
                                                      "time_wait_ms": 0,
                                                      "time_wait_without_data_ms": 0,
                                                  },
                                       "response": {"captured_headers": "|||"},
                                   },
                           "request_date": "30/Jul/2018:09:03:52.726",
                           "server_name": "docs",
                           "server_queue": 0,
                           "termination_state": "----",
                           "total_time_ms": "2",
                           "total_waiting_time_ms": 0,
                       },
            "host": {"hostname": "home.host"},
            "http": {"request": {"method": "GET"}, "response": {"status_code": 304}, "version": "1.1"},
            "process": {"name": "haproxy", "pid": 32450},
            "source": {"address": "1.2.3.4", "bytes": 168, "port": 38862},
            "timestamp": "Jul 30 09:03:52",
            "url": {
                       "domain": "192.168.0.12",
                       "original": "http://192.168.0.12:8080/serv/login.php?lang=en&profile=2",
                       "path": "/serv/login.php",
                       "port": 8080,
                       "query": "lang=en&profile=2",
                       "scheme": "http",
                   },
        },
        id="HAPROXYHTTP headers",
    ),
    # logstash-patterns-core spec/patterns/haproxy_spec.rb, 'BADREQ/NOSRV log line'
    pytest.param(
        ["%{HAPROXYHTTP}"],
        (
            "Jul 18 17:05:30 localhost haproxy[8247]: 188.223.50.7:51940 [18/Jul/2011:17:05:24.339] http_proxy_ads"
            " http_proxy_ads/<NOSRV> -1/-1/-1/-1/6001 408 212 - - cR-- 100/89/0/0/0 0/0 \"<BADREQ>\""
        ),
        {
            "haproxy": {
                           "backend_name": "http_proxy_ads",
                           "backend_queue": 0,
                           "connections": {"active": 100, "backend": 0, "frontend": 89, "retries": 0, "server": 0},
                           "frontend_name": "http_proxy_ads",
                           "request_date": "18/Jul/2011:17:05:24.339",
                           "server_queue": 0,
                           "termination_state": "cR--",
                           "total_time_ms": "6001",
                       },
            "host": {"hostname": "localhost"},
            "http": {"response": {"status_code": 408}},
            "process": {"name": "haproxy", "pid": 8247},
            "source": {"address": "188.223.50.7", "bytes": 212, "port": 51940},
            "timestamp": "Jul 18 17:05:30",
        },
        id="HAPROXYHTTP badreq",
    ),
    # ingesthost: a tcplog line
    pytest.param(
        ["%{HAPROXYTCP}"],
        (
            "Sep 20 15:44:23 lb01 haproxy[1234]: 10.0.0.5:51212 [20/Sep/2021:15:44:23.017] mysql-in mysql/db1"
            " 1/0/5023 4321 -- 3/2/1/1/0 0/0"
        ),
        {
            "haproxy": {
                           "backend_name": "mysql",
                           "backend_queue": 0,
                           "connection_wait_time_ms": 0,
                           "connections": {"active": 3, "backend": 1, "frontend": 2, "retries": 0, "server": 1},
                           "frontend_name": "mysql-in",
                           "request_date": "20/Sep/2021:15:44:23.017",
                           "server_name": "db1",
                           "server_queue": 0,
                           "termination_state": "--",
                           "total_time_ms": "5023",
                           "total_waiting_time_ms": 1,
                       },
            "host": {"hostname": "lb01"},
            "process": {"name": "haproxy", "pid": 1234},
            "source": {"address": "10.0.0.5", "bytes": 4321, "port": 51212},
            "timestamp": "Sep 20 15:44:23",
        },
        id="HAPROXYTCP",
    ),
    # ingesthost: DATESTAMP's date is D-M-Y or M-D-Y, so a search finds '21-03-04' inside 2021-03-04
    # (Elasticsearch's search does the same)
    pytest.param(
        ["%{POSTGRESQL}"],
        "2021-03-04 10:11:12 UTC postgres 6040c6d0.1f2e 7982",
        {
            "event": {"timezone": "UTC"},
            "postgresql": {"log": {"connection_id": "6040c6d0.1f2e"}},
            "process": {"pid": 7982},
            "timestamp": "21-03-04 10:11:12",
            "user": {"name": "postgres"},
        },
        id="POSTGRESQL",
    ),
    # ingesthost: a Logger line
    pytest.param(
        ["%{RUBY_LOGGER}"],
        "I, [2014-01-01T12:00:00.123456 #4242]  INFO -- worker: job done",
        {
            "log": {"level": "INFO"},
            "message": "job done",
            "process": {"name": "worker", "pid": 4242},
            "timestamp": "2014-01-01T12:00:00.123456",
        },
        id="RUBY_LOGGER",
    ),
    # ingesthost: an mcollectived start line
    pytest.param(
        ["%{MCOLLECTIVE}"],
        (
            "I, [2013-11-28T14:37:22.123456 #23131]  INFO -- : mcollectived:31:in `<main>' The Marionette Collective"
            " 2.3.1 started logging at info level"
        ),
        {"log": {"level": "INFO"}, "process": {"pid": 23131}, "timestamp": "2013-11-28T14:37:22.123456"},
        id="MCOLLECTIVE",
    ),
    # logstash-patterns-core spec/patterns/bro_spec.rb, BRO_CONN (local_resp column 'F' written apart from
    # missed_bytes '0')
    pytest.param(
        ["%{BRO_CONN}"],
        TAB.join([
            "1541350796.901974", "C54zqz17PXuBv3HkLg", "192.168.0.26", "54855", "54.85.115.89", "443", "tcp", "ssl",
            "0.153642", "1147", "589", "SF", "T", "F", "0", "ShADadfF", "7", "1439", "8", "921", "(empty)",
        ]),
        {
            "destination": {"bytes": 921, "ip": "54.85.115.89", "packets": 8, "port": 443},
            "network": {"protocol": "ssl", "transport": "tcp"},
            "source": {"bytes": 1439, "ip": "192.168.0.26", "packets": 7, "port": 54855},
            "timestamp": "1541350796.901974",
            "zeek": {
                        "connection": {
                                          "duration": 0.153642,
                                          "history": "ShADadfF",
                                          "local_orig": "T",
                                          "local_resp": "F",
                                          "missed_bytes": 0,
                                          "orig_bytes": 1147,
                                          "resp_bytes": 589,
                                          "state": "SF",
                                      },
                        "session_id": "C54zqz17PXuBv3HkLg",
                    },
        },
        id="BRO_CONN",
    ),
    # ingesthost: a conn.log line with the MAC address columns
    pytest.param(
        ["%{ZEEK_CONN}"],
        TAB.join([
            "1602164975.587600", "Ct73QY3M7T5dikxggf", "192.168.122.59", "55240", "93.184.220.29", "80", "tcp",
            "http", "0.052", "471", "1234", "SF", "T", "F", "0", "ShADadfF", "6", "787", "5", "1502", "-",
            "52:54:00:b2:a9:58", "52:54:00:1c:64:00",
        ]),
        {
            "destination": {
                               "bytes": 1502,
                               "ip": "93.184.220.29",
                               "mac": "52:54:00:1c:64:00",
                               "packets": 5,
                               "port": 80,
                           },
            "network": {"protocol": "http", "transport": "tcp"},
            "source": {"bytes": 787, "ip": "192.168.122.59", "mac": "52:54:00:b2:a9:58", "packets": 6, "port": 55240},
            "timestamp": "1602164975.587600",
            "zeek": {
                        "connection": {
                                          "duration": 0.052,
                                          "history": "ShADadfF",
                                          "local_orig": "T",
                                          "local_resp": "F",
                                          "missed_bytes": 0,
                                          "orig_bytes": 471,
                                          "resp_bytes": 1234,
                                          "state": "SF",
                                      },
                        "session_id": "Ct73QY3M7T5dikxggf",
                    },
        },
        id="ZEEK_CONN",
    ),
    # ingesthost: a files.log line of the new format
    pytest.param(
        ["%{ZEEK_FILES}"],
        TAB.join([
            "1602164975.590937", "FMkb9v1R1ZqhGxQ0e5", "93.184.220.29", "192.168.122.59", "Ct73QY3M7T5dikxggf",
            "HTTP", "0", "(empty)", "application/ocsp-response", "-", "0.000000", "-", "F", "471", "471", "0", "0",
            "F", "-", "-", "-", "-", "-", "-", "-",
        ]),
        {
            "client": {"ip": "192.168.122.59"},
            "file": {"mime_type": "application/ocsp-response", "size": 471},
            "server": {"ip": "93.184.220.29"},
            "timestamp": "1602164975.590937",
            "zeek": {
                        "files": {
                                     "analyzers": "(empty)",
                                     "depth": 0,
                                     "duration": 0.0,
                                     "fuid": "FMkb9v1R1ZqhGxQ0e5",
                                     "is_orig": "F",
                                     "missing_bytes": 0,
                                     "overflow_bytes": 0,
                                     "seen_bytes": 471,
                                     "session_ids": "Ct73QY3M7T5dikxggf",
                                     "source": "HTTP",
                                     "timedout": "F",
                                 },
                    },
        },
        id="ZEEK_FILES",
    ),
    # ingesthost: a files.log line of the old format
    pytest.param(
        ["%{BRO_FILES}"],
        TAB.join([
            "1432555199.633017", "FrLEcY3AUPKdcYGf29", "178.236.7.146", "192.168.9.35", "COpk6E3vkURP8QQNKl", "HTTP",
            "0", "MD5,SHA1", "text/plain", "-", "0.000012", "-", "F", "1859", "1859", "0", "0", "F", "-",
            "a0f6f7bbde6a4e1e0d5f9c6b19a9b0d1", "-", "-", "-",
        ]),
        {
            "client": {"ip": "192.168.9.35"},
            "file": {"hash": {"md5": "a0f6f7bbde6a4e1e0d5f9c6b19a9b0d1"}, "mime_type": "text/plain", "size": 1859},
            "server": {"ip": "178.236.7.146"},
            "timestamp": "1432555199.633017",
            "zeek": {
                        "files": {
                                     "analyzers": "MD5,SHA1",
                                     "depth": 0,
                                     "duration": 1.2e-05,
                                     "fuid": "FrLEcY3AUPKdcYGf29",
                                     "is_orig": "F",
                                     "missing_bytes": 0,
                                     "overflow_bytes": 0,
                                     "seen_bytes": 1859,
                                     "session_ids": "COpk6E3vkURP8QQNKl",
                                     "source": "HTTP",
                                     "timedout": "F",
                                 },
                    },
        },
        id="BRO_FILES",
    ),
    # ingesthost: a MongoDB 2.x line (the weekday is skipped)
    pytest.param(
        ["%{MONGO_LOG}"],
        "Wed Mar 12 14:42:31 [initandlisten] connection accepted from 127.0.0.1:52049 #1 (1 connection now open)",
        {
            "message": "connection accepted from 127.0.0.1:52049 #1 (1 connection now open)",
            "mongodb": {"component": "initandlisten"},
            "timestamp": "Mar 12 14:42:31",
        },
        id="MONGO_LOG",
    ),
    # ingesthost: a MongoDB 2.x slow query line
    pytest.param(
        ["%{MONGO_SLOWQUERY}"],
        (
            "query test.users query: { name: \"x\" } ntoreturn:0 ntoskip:0 nscanned:1 keyUpdates:0 locks(micros) r:60"
            " nreturned:1 reslen:100 102ms"
        ),
        {
            "mongodb": {
                           "collection": "users",
                           "database": "test",
                           "profile": {
                                          "duration": 102,
                                          "nreturned": 1,
                                          "nscanned": 1,
                                          "ntoreturn": 0,
                                          "ntoskip": 0,
                                          "op": "query",
                                      },
                           "query": {"original": "{ name: \"x\" }"},
                       },
        },
        id="MONGO_SLOWQUERY",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'a full httpd 2.4 message' (tid shortened);
    # Elasticsearch's proxy group never matches (its capture name ends in '?'), so '(70008)...' is the error
    # code, unlike Logstash
    pytest.param(
        ["%{HTTPD_ERRORLOG}"],
        (
            "[Mon Aug 31 09:30:48.958285 2015] [proxy_fcgi:error] [pid 28787:tid 1401695] (70008)Partial results are"
            " valid but processing is incomplete: [client 58.13.45.166:59307] AH01075: Error dispatching request to :"
            " (reading input brigade), referer: http://example.com/index.php?id_product=11&controller=product"
        ),
        {
            "apache": {"error": {"module": "proxy_fcgi"}},
            "error": {"code": "(70008)Partial results are valid but processing is incomplete"},
            "log": {"level": "error"},
            "message": (
                           "[client 58.13.45.166:59307] AH01075: Error dispatching request to : (reading input"
                           " brigade), referer: http://example.com/index.php?id_product=11&controller=product"
                       ),
            "process": {"pid": 28787, "thread": {"id": 1401695}},
            "timestamp": "Mon Aug 31 09:30:48.958285 2015",
        },
        id="HTTPD24 proxy",
    ),
    # logstash-patterns-core spec/patterns/httpd_spec.rb, 'a httpd 2.4 restart message' (tid shortened to fit
    # the bank's :int)
    pytest.param(
        ["%{HTTPD_ERRORLOG}"],
        (
            "[Mon Aug 31 06:29:47.406518 2015] [mpm_event:notice] [pid 24968:tid 1401698] AH00489: Apache/2.4.16"
            " (Ubuntu) configured -- resuming normal operations"
        ),
        {
            "apache": {"error": {"module": "mpm_event"}},
            "error": {"code": "AH00489"},
            "log": {"level": "notice"},
            "message": "Apache/2.4.16 (Ubuntu) configured -- resuming normal operations",
            "process": {"pid": 24968, "thread": {"id": 1401698}},
            "timestamp": "Mon Aug 31 06:29:47.406518 2015",
        },
        id="HTTPD24 restart",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, TOMCATLOG 'Tomcat 7.0 message'
    pytest.param(
        ["%{TOMCATLOG}"],
        (
            "Jul 31, 2020 4:40:20 PM org.apache.catalina.core.ApplicationContext log\nINFO: SessionListener:"
            " contextDestroyed()"
        ),
        {
            "java": {"log": {"origin": {"class": {"name": "org.apache.catalina.core.ApplicationContext"}}}},
            "log": {"level": "INFO", "origin": {"function": "log"}},
            "message": "SessionListener: contextDestroyed()",
            "timestamp": "Jul 31, 2020 4:40:20 PM",
        },
        id="TOMCATLOG 7",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, TOMCATLOG 'Tomcat 8.0 message'
    pytest.param(
        ["%{TOMCATLOG}"],
        (
            "31-Jul-2020 16:40:38.451 INFO [localhost-startStop-1] org.apache.catalina.core.ApplicationContext.log"
            " ContextListener: attributeAdded('StockTicker', 'async.Stockticker@42dd551d')"
        ),
        {
            "java": {
                        "log": {
                                   "origin": {
                                                 "class": {"name": "org.apache.catalina.core.ApplicationContext"},
                                                 "thread": {"name": "localhost-startStop-1"},
                                             },
                               },
                    },
            "log": {"level": "INFO", "origin": {"function": "log"}},
            "message": "ContextListener: attributeAdded('StockTicker', 'async.Stockticker@42dd551d')",
            "timestamp": "31-Jul-2020 16:40:38.451",
        },
        id="TOMCATLOG 8",
    ),
    # logstash-patterns-core spec/patterns/java_spec.rb, 'multiline stack-trace' (cut): '.' stops at the line
    # end in Elasticsearch (Logstash keeps the whole trace)
    pytest.param(
        ["%{CATALINALOG}"],
        (
            "30-Dec-2020 11:44:31.277 SEVERE [main] org.apache.catalina.util.LifecycleBase.handleSubClassException"
            " Failed to initialize component [Connector[HTTP/1.1-8080]]\n\torg.apache.catalina.LifecycleException:"
            " Protocol handler initialization failed\n\t\tat"
            " org.apache.catalina.connector.Connector.initInternal(Connector.java:1042)"
        ),
        {
            "java": {
                        "log": {
                                   "origin": {
                                                 "class": {"name": "org.apache.catalina.util.LifecycleBase"},
                                                 "thread": {"name": "main"},
                                             },
                               },
                    },
            "log": {"level": "SEVERE", "origin": {"function": "handleSubClassException"}},
            "message": "Failed to initialize component [Connector[HTTP/1.1-8080]]",
            "timestamp": "30-Dec-2020 11:44:31.277",
        },
        id="CATALINA8 multiline",
    ),
    # logstash-patterns-core spec/patterns/junos_spec.rb, RT_FLOW2
    pytest.param(
        ["%{RT_FLOW2}"],
        (
            "Dec 17 08:04:45 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.10.10.2/53836->10.10.10.1/22"
            " junos-ssh 10.10.10.2/53836->10.10.10.1/22 None None 6 log-host-traffic untrust junos-host 5 N/A(N/A)"
            " ge-0/0/1.0"
        ),
        {
            "destination": {"ip": "10.10.10.1", "nat": {"ip": "10.10.10.1", "port": 22}, "port": 22},
            "juniper": {"srx": {"service_name": "junos-ssh", "session_id": "5", "tag": "RT_FLOW_SESSION_CREATE"}},
            "network": {"iana_number": "6"},
            "observer": {"egress": {"zone": "junos-host"}, "ingress": {"zone": "untrust"}},
            "rule": {"name": "log-host-traffic"},
            "source": {"ip": "10.10.10.2", "nat": {"ip": "10.10.10.2", "port": 53836}, "port": 53836},
        },
        id="RT_FLOW2",
    ),
    # logstash-patterns-core spec/patterns/bacula_spec.rb, BACULA_LOGLINE (BACULA_LOG_NOSTAT)
    pytest.param(
        ["%{BACULA_LOG}"],
        "15-Dec 17:50 u22.com JobId 13:      Could not stat /var/lib/bacula/bacula.sql: ERR=No such file or directory",
        {
            "bacula": {"job": {"id": "13"}},
            "error": {"message": "No such file or directory"},
            "file": {"path": "/var/lib/bacula/bacula.sql"},
            "host": {"hostname": "u22.com"},
            "timestamp": "15-Dec 17:50",
        },
        id="BACULA nostat",
    ),
    # logstash-patterns-core spec/patterns/bacula_spec.rb, BACULA_LOGLINE (BACULA_LOG_VOLUME_PREVWRITTEN)
    pytest.param(
        ["%{BACULA_LOG}"],
        "17-Jan-2003 16:45 home-sd: Volume test01 previously written, moving to end of data.",
        {"bacula": {"volume": {"name": "test01"}}, "host": {"hostname": "home-sd"}, "timestamp": "17-Jan-2003 16:45"},
        id="BACULA prevwritten",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW106023 'a message with a protocol number',
    # with an ingesthost syslog header
    pytest.param(
        ["%{CISCO_TAGGED_SYSLOG} %{CISCOFW106023}"],
        (
            "<164>Oct 13 2013 12:21:45 asa-1 : %ASA-4-106023: Deny protocol 103 src outside:192.168.1.1/50240 dst"
            " inside:192.168.1.2/23 by access-group \"S_OUTSIDE_TO_INSIDE\" [0x54c7fa80, 0x0]"
        ),
        {
            "@metadata": {"cisco": {"asa": {"hashcode1": "0x54c7fa80", "hashcode2": "0x0"}}},
            "cisco": {
                         "asa": {
                                    "network": {"transport": "103"},
                                    "outcome": "Deny",
                                    "rule_name": "S_OUTSIDE_TO_INSIDE",
                                    "tag": "ASA-4-106023",
                                },
                     },
            "destination": {"ip": "192.168.1.2", "port": 23},
            "host": {"hostname": "asa-1"},
            "log": {"syslog": {"priority": 164}},
            "observer": {"egress": {"interface": {"name": "inside"}}, "ingress": {"interface": {"name": "outside"}}},
            "source": {"ip": "192.168.1.1", "port": 50240},
            "timestamp": "Oct 13 2013 12:21:45",
        },
        id="CISCO 106023 proto",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW106100 (300-second interval)
    pytest.param(
        ["%{CISCOFW106100}"],
        (
            "access-list outside-entry permitted tcp outside/10.11.12.13(54726) -> inside/192.168.17.18(80) hit-cnt 1"
            " 300-second interval [0x32b3835, 0x0]"
        ),
        {
            "@metadata": {"cisco": {"asa": {"hashcode1": "0x32b3835", "hashcode2": "0x0"}}},
            "cisco": {
                         "asa": {
                                    "hit_count": 1,
                                    "network": {"transport": "tcp"},
                                    "outcome": "permitted",
                                    "rule_name": "outside-entry",
                                },
                     },
            "destination": {"ip": "192.168.17.18", "port": 80},
            "observer": {"egress": {"interface": {"name": "inside"}}, "ingress": {"interface": {"name": "outside"}}},
            "source": {"ip": "10.11.12.13", "port": 54726},
        },
        id="CISCOFW106100 interval",
    ),
    # logstash-patterns-core spec/patterns/firewalls_spec.rb, CISCOFW104001
    pytest.param(
        ["%{CISCOFW104001}"],
        "(Secondary) Switching to ACTIVE - Service card in other unit has failed",
        {"event": {"reason": "Service card in other unit has failed"}},
        id="CISCOFW104001",
    ),
    # logstash-patterns-core spec/patterns/netscreen_spec.rb, 'traffic denied (without
    # port/xlated/session_id/reason suffix)'
    pytest.param(
        ["%{NETSCREENSESSIONLOG}"],
        (
            "Mar 18 17:56:52 192.168.56.11 lowly_lizard: NetScreen device_id=netscreen2"
            " [Root]system-notification-00257(traffic): start_time=\"2009-03-18 16:07:06\" duration=0"
            " policy_id=320001 service=msrpc Endpoint Mapper(tcp) proto=6 src zone=Null dst zone=self action=Deny"
            " sent=0 rcvd=16384 src=21.10.90.125 dst=23.16.1.1"
        ),
        {
            "destination": {"address": "23.16.1.1", "bytes": 16384},
            "event": {"action": "Deny", "code": "00257"},
            "netscreen": {
                             "device_id": "netscreen2",
                             "policy_id": "320001",
                             "protocol_number": 6,
                             "service": "msrpc Endpoint Mapper(tcp)",
                             "session": {"duration": 0, "start_time": "2009-03-18 16:07:06", "type": "traffic"},
                         },
            "observer": {
                            "egress": {"zone": "self"},
                            "hostname": "192.168.56.11",
                            "ingress": {"zone": "Null"},
                            "name": "lowly_lizard",
                            "product": "NetScreen",
                        },
            "source": {"address": "21.10.90.125", "bytes": 0},
            "timestamp": "Mar 18 17:56:52",
        },
        id="NETSCREEN short",
    ),
    # logstash-patterns-core spec/patterns/shorewall_spec.rb, 'parsing a message with OUT interface'
    pytest.param(
        ["%{SHOREWALL}"],
        (
            "May 28 17:23:25 myHost kernel: [3124658.791874] Shorewall:FORWARD:REJECT:IN=eth2 OUT=eth2 SRC=1.2.3.4"
            " DST=192.168.0.10 LEN=141 TOS=0x00 PREC=0x00 TTL=63 ID=55251 PROTO=UDP SPT=5353 DPT=5335 LEN=121"
        ),
        {
            "destination": {"ip": "192.168.0.10", "port": 5335},
            "iptables": {
                            "fragment_flags": "",
                            "id": "55251",
                            "length": 141,
                            "precedence_bits": "00",
                            "tos": "00",
                            "ttl": 63,
                        },
            "network": {"transport": "UDP"},
            "observer": {
                            "egress": {"interface": {"name": "eth2"}},
                            "hostname": "myHost",
                            "ingress": {"interface": {"name": "eth2"}},
                        },
            "shorewall": {"firewall": {"action": "REJECT", "type": "FORWARD"}},
            "source": {"ip": "1.2.3.4", "port": 5353},
            "timestamp": "May 28 17:23:25",
        },
        id="SHOREWALL out",
    ),
    # ingesthost: an audit line
    pytest.param(
        ["%{MCOLLECTIVEAUDIT}"],
        "2013-11-28T14:37:22.123456+0100: reqid=abc: reqtime=1385645842",
        {"timestamp": "2013-11-28T14:37:22.123456+0100"},
        id="MCOLLECTIVEAUDIT",
    ),
    # logstash-patterns-core spec/patterns/redis_spec.rb, 'REDISMONLOG - VARIADIC COMMAND'
    pytest.param(
        ["%{REDISMONLOG}"],
        "1470637875.777457 [15 195.168.1.1:52500] \"intentionally\" \"broken\" \"variadic\" \"log\" \"entry\"",
        {
            "client": {"ip": "195.168.1.1", "port": 52500},
            "redis": {
                         "command": {"args": "\"broken\" \"variadic\" \"log\" \"entry\"", "name": "intentionally"},
                         "database": {"id": "15"},
                     },
            "timestamp": "1470637875.777457",
        },
        id="REDISMONLOG variadic",
    ),
    # logstash-patterns-core spec/patterns/exim_spec.rb, 'message arrival (simple)'
    pytest.param(
        ["%{EXIM}"],
        (
            "2020-02-11 17:09:46 1j1Z2g-00Faoy-Uh <= example@strawberry.active-ns.com U=example P=local T=\"[Examples"
            " Galore] Please moderate: \\\"Hello world!\\\"\" for admin@example.net"
        ),
        {
            "exim": {
                        "log": {
                                   "flags": "<=",
                                   "message": {
                                                  "id": "1j1Z2g-00Faoy-Uh",
                                                  "subject": "[Examples Galore] Please moderate: \\\"Hello world!\\\"",
                                              },
                                   "recipient": {"email": "admin@example.net"},
                                   "sender": {"email": "example@strawberry.active-ns.com"},
                               },
                    },
            "network": {"protocol": "local"},
            "timestamp": "2020-02-11 17:09:46",
        },
        id="EXIM subject",
    ),
    # logstash-patterns-core spec/patterns/haproxy_spec.rb, HAPROXYHTTPBASE 'log line without syslog specific entries'
    pytest.param(
        ["%{HAPROXYHTTPBASE}"],
        (
            "127.0.0.1:39759 [09/Dec/2013:12:59:46.633] loadbalancer default/instance8 0/51536/1/48082/+99627 200"
            " 83285 - - ---- 87/87/87/1/0 0/67 {77.24.148.74} \"GET / HTTP/1.1\""
        ),
        {
            "haproxy": {
                           "backend_name": "default",
                           "backend_queue": 67,
                           "connection_wait_time_ms": 1,
                           "connections": {"active": 87, "backend": 87, "frontend": 87, "retries": 0, "server": 1},
                           "frontend_name": "loadbalancer",
                           "http": {
                                       "request": {
                                                      "captured_headers": "77.24.148.74",
                                                      "time_wait_ms": 0,
                                                      "time_wait_without_data_ms": 48082,
                                                  },
                                   },
                           "request_date": "09/Dec/2013:12:59:46.633",
                           "server_name": "instance8",
                           "server_queue": 0,
                           "termination_state": "----",
                           "total_time_ms": "+99627",
                           "total_waiting_time_ms": 51536,
                       },
            "http": {"request": {"method": "GET"}, "response": {"status_code": 200}, "version": "1.1"},
            "source": {"address": "127.0.0.1", "bytes": 83285, "port": 39759},
            "url": {"original": "/", "path": "/"},
        },
        id="HAPROXYHTTPBASE",
    ),
    # logstash-patterns-core spec/patterns/haproxy_spec.rb, 'connect line with host:port url'
    pytest.param(
        ["%{HAPROXYHTTP}"],
        (
            "Nov  4 08:32:18 debian10 haproxy[3666]: 127.0.0.1:34500 [04/Nov/2020:08:32:18.194] samplefrontend"
            " backendnodes/node1 0/0/0/0/0 405 501 - - ---- 1/1/0/1/0 0/0 \"CONNECT localhost:8080 HTTP/1.1\""
        ),
        {
            "haproxy": {
                           "backend_name": "backendnodes",
                           "backend_queue": 0,
                           "connection_wait_time_ms": 0,
                           "connections": {"active": 1, "backend": 0, "frontend": 1, "retries": 0, "server": 1},
                           "frontend_name": "samplefrontend",
                           "http": {"request": {"time_wait_ms": 0, "time_wait_without_data_ms": 0}},
                           "request_date": "04/Nov/2020:08:32:18.194",
                           "server_name": "node1",
                           "server_queue": 0,
                           "termination_state": "----",
                           "total_time_ms": "0",
                           "total_waiting_time_ms": 0,
                       },
            "host": {"hostname": "debian10"},
            "http": {"request": {"method": "CONNECT"}, "response": {"status_code": 405}, "version": "1.1"},
            "process": {"name": "haproxy", "pid": 3666},
            "source": {"address": "127.0.0.1", "bytes": 501, "port": 34500},
            "timestamp": "Nov  4 08:32:18",
            "url": {"domain": "localhost", "original": "localhost:8080", "port": 8080},
        },
        id="HAPROXY connect",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, 'matches more structured-data'
    pytest.param(
        ["%{SYSLOG5424LINE}"],
        (
            "<34>1 2012-12-19T01:45:54.001234+11:30 rufus - - - [exampleSDID@32473 iut=\"3\""
            " eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"] [down]"
        ),
        {
            "host": {"hostname": "rufus"},
            "log": {"syslog": {"priority": 34}},
            "message": "[down]",
            "system": {
                          "syslog": {
                                        "structured_data": (
                                                               "[exampleSDID@32473 iut=\"3\""
                                                               " eventSource=\"Application\""
                                                               " eventID=\"1011\"][examplePriority@32473"
                                                               " class=\"high\"]"
                                                           ),
                                        "version": "1",
                                    },
                      },
            "timestamp": "2012-12-19T01:45:54.001234+11:30",
        },
        id="SYSLOG5424 sd",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, 'matches nil host-name'
    pytest.param(
        ["%{SYSLOG5424LINE}"],
        (
            "<174>1 2003-08-24T05:14:15+00:00 - - - - - IN=enx503f560021dc OUT="
            " MAC=01:00:5e:00:00:01:88:f8:c7:8b:1a:b4:04:00 SRC=192.168.81.1 DST=224.0.0.1 LEN=32 TOS=0x00 PREC=0xC0"
            " TTL=1 ID=0 PROTO=2"
        ),
        {
            "log": {"syslog": {"priority": 174}},
            "message": (
                           "IN=enx503f560021dc OUT= MAC=01:00:5e:00:00:01:88:f8:c7:8b:1a:b4:04:00 SRC=192.168.81.1"
                           " DST=224.0.0.1 LEN=32 TOS=0x00 PREC=0xC0 TTL=1 ID=0 PROTO=2"
                       ),
            "system": {"syslog": {"version": "1"}},
            "timestamp": "2003-08-24T05:14:15+00:00",
        },
        id="SYSLOG5424 nil host",
    ),
    # logstash-patterns-core spec/patterns/syslog_spec.rb, 'does not parse facility-level or msg-id'
    pytest.param(
        ["%{SYSLOGLINE}"],
        (
            "May 11 10:40:48 scrooge disk-health-nurse[26783]: [ID 702911 user.error] m:SY-mon-full-500 c:H :"
            " partition health measures for /var did not suffice - still using 96% of partition space"
        ),
        {
            "host": {"hostname": "scrooge"},
            "message": (
                           "[ID 702911 user.error] m:SY-mon-full-500 c:H : partition health measures for /var did not"
                           " suffice - still using 96% of partition space"
                       ),
            "process": {"name": "disk-health-nurse", "pid": 26783},
            "timestamp": "May 11 10:40:48",
        },
        id="SYSLOGLINE rfc tag",
    ),
    # logstash-patterns-core spec/patterns/nagios_spec.rb, 'SERVICE ALERT'
    pytest.param(
        ["%{NAGIOSLOGLINE}"],
        (
            "[1427925689] SERVICE ALERT: varnish;Varnish Backend Connections;CRITICAL;SOFT;1;Current value: 154.0,"
            " warn threshold: 10.0, crit threshold: 20.0"
        ),
        {
            "host": {"hostname": "varnish"},
            "message": "Current value: 154.0, warn threshold: 10.0, crit threshold: 20.0",
            "nagios": {"log": {"attempt": 1, "state_type": "SOFT", "type": "SERVICE ALERT"}},
            "service": {"name": "Varnish Backend Connections", "state": "CRITICAL"},
            "timestamp": "1427925689",
        },
        id="NAGIOS service alert",
    ),
    # ingesthost: a Warning: line
    pytest.param(
        ["%{NAGIOSLOGLINE}"],
        (
            "[1427925600] Warning:  Check result queue contained results for service 'foo' on host 'bar', but the"
            " service could not be found!"
        ),
        {
            "message": (
                           "Check result queue contained results for service 'foo' on host 'bar', but the service"
                           " could not be found!"
                       ),
            "timestamp": "1427925600",
        },
        id="NAGIOS warning",
    ),
]


@pytest.mark.parametrize("patterns, line, expected", SAMPLES)
def test_log_format(patterns: list[str], line: str, expected: dict[str, Any]):
    assert grok(patterns, line) == {"message": line, **expected}


def test_the_samples_cover_forty_formats():
    # ingesthost: at least 40 composite names, over all families
    names = {p.values[0][0] for p in SAMPLES}
    assert len(SAMPLES) >= 80 and len(names) >= 40


# == edge cases of the ECS patterns (Elasticsearch's behaviour) ======================================


def test_a_body_size_past_two_gigabytes_is_a_long():
    # Elasticsearch GrokTests.testApacheLog: http.response.body.bytes is LONG in the ECS bank
    line = '10.0.0.1 - - [24/Jul/2014:05:35:37 +0530] "GET /iso HTTP/1.1" 200 3000000000'
    assert grok(["%{HTTPD_COMMONLOG}"], line)["http"]["response"] == {"status_code": 200, "body": {"bytes": 3000000000}}


def test_a_thread_id_past_an_int_fails_the_document():
    # logstash-patterns-core httpd_spec.rb, 'a full httpd 2.4 message': Elasticsearch's bank types
    # process.thread.id as :int, so Integer.parseInt refuses 140169587934976 and the document fails
    line = ("[Mon Aug 31 09:30:48.958285 2015] [proxy_fcgi:error] [pid 28787:tid 140169587934976] (70008)Partial results"
            " are valid but processing is incomplete: [client 58.13.45.166:59307] AH01075: Error dispatching request to :")
    assert 'For input string: "140169587934976"' in grok_error(["%{HTTPD_ERRORLOG}"], line)


def test_a_field_captured_twice_becomes_a_list():
    # Elasticsearch GrokTests.testMultipleNamedCapturesWithSameName, on CISCOFW106100's two (user) groups
    line = "access-list acl permitted tcp in/10.1.1.1(1000)(alice) -> out/10.2.2.2(80)(bob) hit-cnt 1 first hit [0x1, 0x2]"
    assert grok(["%{CISCOFW106100}"], line)["source"]["user"] == {"name": ["alice", "bob"]}


def test_a_capture_of_both_timestamp_forms_is_written_once():
    # Elasticsearch GrokTests.testSimpleSyslogLine (ECS): "timestamp" is in the expression twice, one takes part
    out = grok(["%{SYSLOGLINE}"], "2021-07-14T13:36:03Z host prog: text")
    assert out["timestamp"] == "2021-07-14T13:36:03Z"


@pytest.mark.parametrize(
    "text",
    ["2001-01-01T00:00:00", "1974-03-02T04:09:09", "2010-05-03T08:18:18+00:00", "2004-07-04T12:27:27-00:00",
     "2001-09-05T16:36:36+0000", "2001-11-06T20:45:45-0000", "2001-12-07T23:54:54Z", "2001-01-01T00:00:00.123456",
     "2010-05-03T08:18:18.123456+00:00", "2001-12-07T23:54:60.123456Z",
     "2001-01-01T0:00:00"],  # a one-digit hour: refused by the legacy bank only (GrokTests.testNotISO8601)
)
def test_iso8601(text: str):
    # Elasticsearch GrokTests.testISO8601 (ECS half)
    assert GrokExpression("^%{TIMESTAMP_ISO8601}$", ECS).captures(text) == {}


@pytest.mark.parametrize(
    "text",
    ["2001-13-01T00:00:00", "2001-00-01T00:00:00", "2001-01-00T00:00:00", "2001-01-32T00:00:00", "2001-01-aT00:00:00",
     "2001-01-1aT00:00:00", "2001-01-01Ta0:00:00", "2001-01-01T25:00:00", "2001-01-01T01:60:00", "2001-01-01T00:aa:00",
     "2001-01-01T00:00:aa", "2001-01-01T00:00:-1", "2001-01-01T00:00:61", "2001-01-01T00:00:00A",
     "2001-01-01T00:00:00+", "2001-01-01T00:00:00+25", "2001-01-01T00:00:00+2500", "2001-01-01T00:00:00+25:00",
     "2001-01-01T00:00:00-25", "2001-01-01T00:00:00-2500", "2001-01-01T00:00:00-00:61"],
)
def test_not_iso8601(text: str):
    # Elasticsearch GrokTests.testNotISO8601 (ECS half: no extra case)
    assert GrokExpression("^%{TIMESTAMP_ISO8601}$", ECS).captures(text) is None


def test_the_two_banks_differ_where_elasticsearchs_do():
    # ingesthost, from the two banks' definitions: a one-digit hour, "Information", URIHOST's port
    assert GrokExpression("^%{TIMESTAMP_ISO8601}$", LEGACY).captures("2001-01-01T0:00:00") is None
    assert GrokExpression("^%{LOGLEVEL:l}$", ECS).captures("Information") == {"l": "Information"}
    assert GrokExpression("^%{LOGLEVEL:l}$", LEGACY).captures("Information") is None
    assert grok(["%{URIHOST:h}"], "example.com:8080") == {"message": "example.com:8080", "h": "example.com:8080"}
    assert grok(["%{URIHOST:h}"], "example.com:8080", mode="disabled") == {
        "message": "example.com:8080", "h": "example.com:8080", "port": "8080"}


@pytest.mark.parametrize("mode", ["disabled", "v1"])
def test_java_names_in_both_banks(mode: str):
    # Elasticsearch GrokTests.testJavaClassPatternWithUnderscore and testJavaFilePatternWithSpaces
    bank = builtin_patterns(mode)
    assert GrokExpression("%{JAVACLASS}", bank).captures("Test_Class.class") == {}
    assert GrokExpression("%{JAVAFILE}", bank).captures("Test Class.java") == {}


def test_the_junos_patterns_fail_fast_on_a_cut_line():
    # ingesthost: RT_FLOW1's run of DATA fields, on a line cut before its counters and padded
    # with words, tried every split of the words (83 s for 276 characters); the look-ahead
    # for the tail makes it fail at once, and the full line still matches (see RT_FLOW1 above)
    line = ("Dec 17 08:05:30 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.10.10.2/53836->10.10.10.1/22"
            " junos-ssh 10.10.10.2/53836->10.10.10.1/22 None None 6 log-host-traffic untrust junos-host 5 " + "w " * 40)
    for name in ("RT_FLOW1", "RT_FLOW2"):
        started = time.perf_counter()
        assert GrokExpression("%{" + name + "}", ECS).captures(line) is None
        assert time.perf_counter() - started < 1.0


# == capture names and fields (Elasticsearch's GrokCaptureConfig and GrokProcessor) =====================


@pytest.mark.parametrize("mode", ["disabled", "v1"])
@pytest.mark.parametrize(
    "name, expected",
    [
        ("meta.data", {"meta": {"data": "foo"}}),  # GrokTests.testDotInFieldName: a dotted name nests
        ("@metadata", {"@metadata": "foo"}),  # GrokTests.testAtInFieldName: no special meaning in ingest
        ("meta_data", {"meta_data": "foo"}),  # GrokTests.testUnderscoreInFieldName
        ("meta-data", {"meta-data": "foo"}),  # GrokTests.testMinusInFieldName
        ("42", {"42": "foo"}),  # GrokTests.testAlphanumericFieldName
        ("metadat[a]", {"metadat[a]": "foo"}),  # GrokTests' square-bracket names: kept as they are
        ("[m]etadata", {"[m]etadata": "foo"}),
        ("[source][address]", {"[source][address]": "foo"}),  # Logstash's syntax is not read, in either mode
        ("[a][b].c", {"[a][b]": {"c": "foo"}}),  # only dots make a path
    ],
)
def test_a_capture_name_is_an_ingest_field_path(mode: str, name: str, expected: dict[str, Any]):
    assert grok(["%{WORD:" + name + "}"], "foo", mode) == {"message": "foo", **expected}


@pytest.mark.parametrize("mode", ["disabled", "v1"])
def test_a_name_that_is_no_reference_stays_literal_text(mode: str):
    # Elasticsearch GrokTests.testUnsupportedBracketsInFieldName: "(" is no capture-name character,
    # so %{WORD:unsuppo(r)ted} is no reference and the expression does not match
    assert "do not match field value: [line]" in grok_error(["%{WORD:unsuppo(r)ted}"], "line", mode)


def test_the_type_is_the_third_part_of_the_name():
    # Elasticsearch GrokCaptureConfig: name.split(":"); the field is the second part, the type the
    # third when there are exactly three (GrokTests.testGarbageTypeNameBecomesString: else a string)
    assert grok(["%{NUMBER:a.b:int} %{NUMBER:c:not_a_valid_type}"], "1 2") == {
        "message": "1 2", "a": {"b": 1}, "c": "2"}
    assert grok(["(?<x:y:long:extra>\\d+)"], "7") == {"message": "7", "y": "7"}
    assert grok(["(?<dns.question.class>IN)"], "IN") == {"message": "IN", "dns": {"question": {"class": "IN"}}}


def test_ingest_metadata_is_reached_by_an_underscore_ingest_name():
    # Elasticsearch IngestDocument: a path starting with "_ingest." is ingest metadata, not source
    processors = [
        {"grok": {"field": "message", "patterns": ["%{WORD:_ingest.w}"], "ecs_compatibility": "v1"}},
        {"set": {"field": "copy", "value": "{{_ingest.w}}"}},
    ]
    with Pipeline.from_definition({"processors": processors}, cache=False) as pipeline:
        assert pipeline.process({"message": "foo"}) == {"message": "foo", "copy": "foo"}


@pytest.mark.parametrize("mode", ["disabled", "v1"])
def test_line_anchors_as_in_oniguruma(mode: str):
    # ingesthost, from Oniguruma's Ruby syntax (Elasticsearch's Joni): ^ and $ are line anchors,
    # and "." stops at a line end
    assert grok(["^%{WORD:w}$"], "x y\nzz", mode) == {"message": "x y\nzz", "w": "zz"}
    assert grok(["%{GREEDYDATA:rest}"], "ab\ncd", mode) == {"message": "ab\ncd", "rest": "ab"}


@pytest.mark.parametrize(
    "pattern, text, expected",
    [
        ("(?<timestamp>%{DATE_EU} %{TIME})", "fancy 12-12-12 12:12:12", {"timestamp": "12-12-12 12:12:12"}),  # testDatePattern
        ("test (N/A|%{BASE10NUM:duration:float}ms)", "test 28.4ms", {"duration": 28.4}),  # testNilCoercedValues
        ("test (N/A|%{BASE10NUM:duration:float}ms)", "test N/A", {}),
        ("%{WORD:name}=%{WORD:status:boolean}", "active=true", {"name": "active", "status": True}),  # testBooleanCaptures
        ("%{DATE_EU:stimestamp}", "11/01/01", {"stimestamp": "11/01/01"}),  # testNamedFieldsWithWholeTextMatch
        ("(?<foo>\\w+)", "hello world", {"foo": "hello"}),  # testWithOniguramaNamedCaptures
        ("value", "prefix_value", {}),  # testMatchWithoutCaptures
    ],
)
def test_grok_library_cases_in_the_ecs_bank(pattern: str, text: str, expected: dict[str, Any]):
    # Elasticsearch GrokTests, the ecsCompatibility=true half of each
    assert GrokExpression(pattern, ECS).captures(text) == expected


# == the option ===================================================================================


def test_disabled_is_the_default_and_keeps_the_legacy_names():
    # Elasticsearch GrokProcessor: ecs_compatibility defaults to "disabled" (GrokTests.testApacheLog, legacy half)
    line = '31.184.238.164 - - [24/Jul/2014:05:35:37 +0530] "GET /logs/access.log HTTP/1.0" 200 69849 "-" "agent"'
    legacy = {"message": line, "clientip": "31.184.238.164", "ident": "-", "auth": "-",
              "timestamp": "24/Jul/2014:05:35:37 +0530", "verb": "GET", "request": "/logs/access.log",
              "httpversion": "1.0", "response": "200", "bytes": "69849", "referrer": '"-"', "agent": '"agent"'}
    assert grok(["%{COMBINEDAPACHELOG}"], line, mode=None) == legacy
    assert grok(["%{COMBINEDAPACHELOG}"], line, mode="disabled") == legacy
    assert grok(["%{COMBINEDAPACHELOG}"], line, mode="v1")["source"] == {"address": "31.184.238.164"}


def test_pattern_definitions_override_the_ecs_bank():
    # Elasticsearch GrokProcessor.Factory: the processor's definitions are put over the built-in bank
    out = grok(["%{SYSLOGHOST:host.name} %{NUMBER:n:int}"], "h1 78", pattern_definitions={"NUMBER": "[0-9]"})
    assert out == {"message": "h1 78", "host": {"name": "h1"}, "n": 7}  # the built-in NUMBER would take 78


@pytest.mark.parametrize("mode", ["v2", "", "V1", "ecs-v1"])
def test_other_modes_are_refused(mode: str):
    # Elasticsearch GrokProcessor.Factory: "unsupported mode '...'" for anything but disabled and v1
    message = load_error({"field": "f", "patterns": ["x"], "ecs_compatibility": mode})
    assert f"[ecs_compatibility] unsupported mode '{mode}'" in message


def test_the_mode_is_checked_before_the_empty_pattern_list():
    # Elasticsearch GrokProcessor.Factory reads and checks ecs_compatibility, then refuses an empty list
    assert "unsupported mode 'v2'" in load_error({"field": "f", "patterns": [], "ecs_compatibility": "v2"})
    assert "List of patterns must not be empty" in load_error({"field": "f", "patterns": [], "ecs_compatibility": "v1"})
    assert "isn't a string" in load_error({"field": "f", "patterns": ["x"], "ecs_compatibility": 1})


def test_a_null_mode_is_the_default():
    # Elasticsearch ConfigurationUtils.readStringProperty: a null value takes the default
    assert grok(["%{URIHOST:h}"], "a:1", mode=None, ecs_compatibility=None) == {"message": "a:1", "h": "a:1", "port": "1"}
