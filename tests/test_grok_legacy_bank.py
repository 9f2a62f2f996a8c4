"""The legacy grok bank (``ecs_compatibility: disabled``), checked against Elasticsearch's.

What is checked:

* the bank defines exactly the names of Elasticsearch's legacy bank (the list
  below is that fact, compiled from ``libs/grok/src/main/resources/patterns/legacy/``
  in elastic/elasticsearch; for the legacy files that could not be consulted
  there, bacula, bro, junos, linux-syslog, mcollective-patterns, mongodb,
  postgresql and ruby, from Elasticsearch's earlier copies of the same files,
  ``libs/grok/src/main/resources/patterns/<file>``, and from
  logstash-plugins/logstash-patterns-core ``patterns/legacy/<file>``, which
  Elasticsearch's legacy bank was taken from), and every name compiles;
* the names in ``common/`` capture nothing (they are shared with the ECS bank);
* composite log-format patterns of every family, on real sample lines, give
  exactly the fields (values and types) Elasticsearch gives. The samples and
  the expected legacy values come from Elasticsearch's ``GrokTests.java``
  (``libs/grok/src/test/java/org/elasticsearch/grok/``) and from
  logstash-patterns-core's ``spec/patterns/*_spec.rb`` (legacy mode), as the
  comment on each case says; where a spec checks only some fields, the others
  are what Elasticsearch's regular expression captures from that line. Cases
  marked "ingesthost" use a line written here (no upstream sample);
* lines the legacy patterns do not match (as those specs say);
* the grok processor, through a pipeline, with these patterns.

Two things differ from Logstash, and the expected values follow Elasticsearch:
"." does not match a newline (Logstash compiles multi-line), and a capture
named ``message`` replaces the field rather than being appended to it.
"""

from __future__ import annotations

import random
import re
from importlib import resources

import pytest

from ingesthost import Pipeline
from ingesthost.processors.grok import GrokExpression
from ingesthost.processors.grok_bank import builtin_patterns, parse_pattern_file

BANK = builtin_patterns("disabled")

# -- the names ---------------------------------------------------------------------------------

#: Elasticsearch's legacy bank, name by name, by the file that defines each
#: (libs/grok/src/main/resources/patterns/legacy/<file>; 318 names in all).
ELASTICSEARCH_LEGACY_NAMES = {
    "aws": "S3_REQUEST_LINE S3_ACCESS_LOG ELB_URIPATHPARAM ELB_URI ELB_REQUEST_LINE ELB_ACCESS_LOG CLOUDFRONT_ACCESS_LOG",
    "bacula": """BACULA_TIMESTAMP BACULA_HOST BACULA_VOLUME BACULA_DEVICE BACULA_DEVICEPATH BACULA_CAPACITY
        BACULA_VERSION BACULA_JOB BACULA_LOG_MAX_CAPACITY BACULA_LOG_END_VOLUME BACULA_LOG_NEW_VOLUME
        BACULA_LOG_NEW_LABEL BACULA_LOG_WROTE_LABEL BACULA_LOG_NEW_MOUNT BACULA_LOG_NOOPEN BACULA_LOG_NOOPENDIR
        BACULA_LOG_NOSTAT BACULA_LOG_NOJOBS BACULA_LOG_ALL_RECORDS_PRUNED BACULA_LOG_BEGIN_PRUNE_JOBS
        BACULA_LOG_BEGIN_PRUNE_FILES BACULA_LOG_PRUNED_JOBS BACULA_LOG_PRUNED_FILES BACULA_LOG_ENDPRUNE
        BACULA_LOG_STARTJOB BACULA_LOG_STARTRESTORE BACULA_LOG_USEDEVICE BACULA_LOG_DIFF_FS BACULA_LOG_JOBEND
        BACULA_LOG_NOPRUNE_JOBS BACULA_LOG_NOPRUNE_FILES BACULA_LOG_VOLUME_PREVWRITTEN BACULA_LOG_READYAPPEND
        BACULA_LOG_CANCELLING BACULA_LOG_MARKCANCEL BACULA_LOG_CLIENT_RBJ BACULA_LOG_VSS BACULA_LOG_MAXSTART
        BACULA_LOG_DUPLICATE BACULA_LOG_NOJOBSTAT BACULA_LOG_FATAL_CONN BACULA_LOG_NO_CONNECT BACULA_LOG_NO_AUTH
        BACULA_LOG_NOSUIT BACULA_LOG_NOPRIOR BACULA_LOG_JOB BACULA_LOGLINE""",
    "bind": "BIND9_TIMESTAMP BIND9",
    "bro": "BRO_HTTP BRO_DNS BRO_CONN BRO_FILES",
    "exim": """EXIM_MSGID EXIM_FLAGS EXIM_DATE EXIM_PID EXIM_QT EXIM_EXCLUDE_TERMS EXIM_REMOTE_HOST EXIM_INTERFACE
        EXIM_PROTOCOL EXIM_MSG_SIZE EXIM_HEADER_ID EXIM_SUBJECT EXIM_UNKNOWN_FIELD EXIM_NAMED_FIELDS
        EXIM_MESSAGE_ARRIVAL EXIM""",
    "firewalls": """NETSCREENSESSIONLOG CISCO_TAGGED_SYSLOG CISCOTIMESTAMP CISCOTAG CISCO_ACTION CISCO_REASON
        CISCO_DIRECTION CISCO_INTERVAL CISCO_XLATE_TYPE CISCOFW104001 CISCOFW104002 CISCOFW104003 CISCOFW104004
        CISCOFW105003 CISCOFW105004 CISCOFW105005 CISCOFW105008 CISCOFW105009 CISCOFW106001
        CISCOFW106006_106007_106010 CISCOFW106014 CISCOFW106015 CISCOFW106021 CISCOFW106023 CISCOFW106100_2_3
        CISCOFW106100 CISCOFW304001 CISCOFW110002 CISCOFW302010 CISCOFW302013_302014_302015_302016
        CISCOFW302020_302021 CISCOFW305011 CISCOFW313001_313004_313008 CISCOFW313005 CISCOFW321001
        CISCOFW402117 CISCOFW402119 CISCOFW419001 CISCOFW419002 CISCOFW500004 CISCOFW602303_602304
        CISCOFW710001_710002_710003_710005_710006 CISCOFW713172 CISCOFW733100 SHOREWALL SFW2""",
    "grok-patterns": """USERNAME USER EMAILLOCALPART EMAILADDRESS INT BASE10NUM NUMBER BASE16NUM BASE16FLOAT POSINT
        NONNEGINT WORD NOTSPACE SPACE DATA GREEDYDATA QUOTEDSTRING UUID URN MAC CISCOMAC WINDOWSMAC COMMONMAC
        IPV6 IPV4 IP HOSTNAME IPORHOST HOSTPORT PATH UNIXPATH TTY WINPATH URIPROTO URIHOST URIPATH URIPARAM
        URIPATHPARAM URI MONTH MONTHNUM MONTHNUM2 MONTHDAY DAY YEAR HOUR MINUTE SECOND TIME DATE_US DATE_EU
        ISO8601_TIMEZONE ISO8601_SECOND ISO8601_HOUR TIMESTAMP_ISO8601 DATE DATESTAMP TZ DATESTAMP_RFC822
        DATESTAMP_RFC2822 DATESTAMP_OTHER DATESTAMP_EVENTLOG SYSLOGTIMESTAMP PROG SYSLOGPROG SYSLOGHOST
        SYSLOGFACILITY HTTPDATE QS SYSLOGBASE LOGLEVEL""",
    "haproxy": """HAPROXYTIME HAPROXYDATE HAPROXYCAPTUREDREQUESTHEADERS HAPROXYCAPTUREDRESPONSEHEADERS
        HAPROXYHTTPBASE HAPROXYHTTP HAPROXYTCP""",
    "httpd": """HTTPDUSER HTTPDERROR_DATE HTTPD_COMMONLOG HTTPD_COMBINEDLOG HTTPD20_ERRORLOG HTTPD24_ERRORLOG
        HTTPD_ERRORLOG COMMONAPACHELOG COMBINEDAPACHELOG""",
    "java": """JAVACLASS JAVAFILE JAVAMETHOD JAVASTACKTRACEPART JAVATHREAD JAVALOGMESSAGE CATALINA_DATESTAMP
        TOMCAT_DATESTAMP CATALINALOG TOMCATLOG""",
    "junos": "RT_FLOW_EVENT RT_FLOW1 RT_FLOW2 RT_FLOW3",
    "linux-syslog": """SYSLOG5424PRINTASCII SYSLOGBASE2 SYSLOGPAMSESSION CRON_ACTION CRONLOG SYSLOGLINE SYSLOG5424PRI
        SYSLOG5424SD SYSLOG5424BASE SYSLOG5424LINE""",
    "maven": "MAVEN_VERSION",
    "mcollective-patterns": "MCOLLECTIVE MCOLLECTIVEAUDIT",
    "mongodb": "MONGO_LOG MONGO_QUERY MONGO_SLOWQUERY MONGO_WORDDASH MONGO3_SEVERITY MONGO3_COMPONENT MONGO3_LOG",
    "nagios": """NAGIOSTIME NAGIOS_TYPE_CURRENT_SERVICE_STATE NAGIOS_TYPE_CURRENT_HOST_STATE
        NAGIOS_TYPE_SERVICE_NOTIFICATION NAGIOS_TYPE_HOST_NOTIFICATION NAGIOS_TYPE_SERVICE_ALERT
        NAGIOS_TYPE_HOST_ALERT NAGIOS_TYPE_SERVICE_FLAPPING_ALERT NAGIOS_TYPE_HOST_FLAPPING_ALERT
        NAGIOS_TYPE_SERVICE_DOWNTIME_ALERT NAGIOS_TYPE_HOST_DOWNTIME_ALERT NAGIOS_TYPE_PASSIVE_SERVICE_CHECK
        NAGIOS_TYPE_PASSIVE_HOST_CHECK NAGIOS_TYPE_SERVICE_EVENT_HANDLER NAGIOS_TYPE_HOST_EVENT_HANDLER
        NAGIOS_TYPE_EXTERNAL_COMMAND NAGIOS_TYPE_TIMEPERIOD_TRANSITION NAGIOS_EC_DISABLE_SVC_CHECK
        NAGIOS_EC_ENABLE_SVC_CHECK NAGIOS_EC_DISABLE_HOST_CHECK NAGIOS_EC_ENABLE_HOST_CHECK
        NAGIOS_EC_PROCESS_SERVICE_CHECK_RESULT NAGIOS_EC_PROCESS_HOST_CHECK_RESULT
        NAGIOS_EC_SCHEDULE_SERVICE_DOWNTIME NAGIOS_EC_SCHEDULE_HOST_DOWNTIME
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
    "squid": "SQUID3",
}

FAMILY_OF = {name: family for family, names in ELASTICSEARCH_LEGACY_NAMES.items() for name in names.split()}


def test_the_expected_list_has_no_name_twice():
    names = [name for names in ELASTICSEARCH_LEGACY_NAMES.values() for name in names.split()]
    assert len(names) == len(set(names)) == len(FAMILY_OF) == 318


def test_the_bank_has_exactly_elasticsearch_legacy_names():
    assert set(BANK) == set(FAMILY_OF)


def test_the_default_mode_is_the_legacy_bank():
    assert dict(builtin_patterns()) == dict(BANK)


@pytest.mark.parametrize("name", sorted(FAMILY_OF))
def test_every_name_compiles(name):
    expression = GrokExpression("%{" + name + "}", BANK)
    assert expression.regex.pattern
    # a name can also be captured as a whole, as grok users write it
    named = GrokExpression("%{" + name + ":whole}", BANK)
    assert [field for _, field, _ in named.fields][0] == "whole"


def _common_names() -> list[str]:
    names = []
    root = resources.files("ingesthost.processors.grok_bank").joinpath("common")
    for entry in root.iterdir():
        if entry.is_file() and not entry.name.startswith((".", "_")):
            names.extend(parse_pattern_file(entry.read_text(encoding="utf-8"), entry.name))
    return sorted(names)


@pytest.mark.parametrize("name", _common_names())
def test_shared_names_capture_nothing(name):
    # common/ is read by both banks; a name there must capture no field, even
    # through the names it uses (here resolved in the legacy bank)
    assert GrokExpression("%{" + name + "}", BANK).fields == []


# -- composite patterns on real lines ------------------------------------------------------------

CASES = [
    # GrokTests.testApacheLog (elasticsearch libs/grok)
    pytest.param(
        'COMBINEDAPACHELOG',
        '31.184.238.164 - - [24/Jul/2014:05:35:37 +0530] "GET /logs/access.log HTTP/1.0" 200 69849 "http://8rursodiol.enjin.com" "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.12785 YaBrowser/13.12.1599.12785 Safari/537.36" "www.dlwindianrailways.com"',
        {'clientip': '31.184.238.164', 'ident': '-', 'auth': '-', 'timestamp': '24/Jul/2014:05:35:37 +0530', 'verb': 'GET', 'request': '/logs/access.log', 'httpversion': '1.0', 'response': '200', 'bytes': '69849', 'referrer': '"http://8rursodiol.enjin.com"', 'agent': '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.12785 YaBrowser/13.12.1599.12785 Safari/537.36"'},
        id='combinedapachelog',
    ),
    # httpd_spec.rb HTTPD_COMBINEDLOG typical
    pytest.param(
        'HTTPD_COMBINEDLOG',
        '83.149.9.216 - - [24/Feb/2015:23:13:42 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"',
        {'clientip': '83.149.9.216', 'ident': '-', 'auth': '-', 'timestamp': '24/Feb/2015:23:13:42 +0000', 'verb': 'GET', 'request': '/presentations/logstash-monitorama-2013/images/kibana-search.png', 'httpversion': '1.1', 'response': '200', 'bytes': '203023', 'referrer': '"http://semicomplete.com/presentations/logstash-monitorama-2013/"', 'agent': '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"'},
        id='httpd_combinedlog',
    ),
    # httpd_spec.rb HTTPD_COMBINEDLOG email address in auth field
    pytest.param(
        'COMBINEDAPACHELOG',
        '10.0.0.1 - username@example.com [07/Apr/2016:18:42:24 +0000] "GET /bar/foo/users/1/username%40example.com/authenticate?token=blargh&client_id=15 HTTP/1.1" 400 75 "" "Mozilla/5.0 (iPad; CPU OS 9_3_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13E238 Safari/601.1"',
        {'clientip': '10.0.0.1', 'ident': '-', 'auth': 'username@example.com', 'timestamp': '07/Apr/2016:18:42:24 +0000', 'verb': 'GET', 'request': '/bar/foo/users/1/username%40example.com/authenticate?token=blargh&client_id=15', 'httpversion': '1.1', 'response': '400', 'bytes': '75', 'referrer': '""', 'agent': '"Mozilla/5.0 (iPad; CPU OS 9_3_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13E238 Safari/601.1"'},
        id='combinedapachelog-2',
    ),
    # httpd_spec.rb HTTPD_COMBINEDLOG sample OPTIONS line (no response code)
    pytest.param(
        'COMMONAPACHELOG',
        '83.149.9.216 - a.user [11/Jan/2020:23:05:27 +0100] "OPTIONS /remote.php/ HTTP/1.1" - 7908 "-" "monitoring-client (v2.2)"',
        {'clientip': '83.149.9.216', 'ident': '-', 'auth': 'a.user', 'timestamp': '11/Jan/2020:23:05:27 +0100', 'verb': 'OPTIONS', 'request': '/remote.php/', 'httpversion': '1.1', 'bytes': '7908'},
        id='commonapachelog',
    ),
    # httpd_spec.rb HTTPD_ERRORLOG full httpd 2.4 message
    pytest.param(
        'HTTPD_ERRORLOG',
        '[Mon Aug 31 09:30:48.958285 2015] [proxy_fcgi:error] [pid 28787:tid 140169587934976] (70008)Partial results are valid but processing is incomplete: [client 58.13.45.166:59307] AH01075: Error dispatching request to : (reading input brigade), referer: http://example.com/index.php?id_product=11&controller=product',
        {'timestamp': 'Mon Aug 31 09:30:48.958285 2015', 'module': 'proxy_fcgi', 'loglevel': 'error', 'pid': '28787', 'tid': '140169587934976', 'proxy_errorcode': '70008', 'proxy_message': 'Partial results are valid but processing is incomplete', 'clientip': '58.13.45.166', 'clientport': '59307', 'errorcode': 'AH01075', 'message': 'Error dispatching request to : (reading input brigade), referer: http://example.com/index.php?id_product=11&controller=product'},
        id='httpd_errorlog',
    ),
    # httpd_spec.rb HTTPD_ERRORLOG httpd 2.2 message
    pytest.param(
        'HTTPD20_ERRORLOG',
        '[Mon Aug 31 16:27:04 2015] [error] [client 10.17.42.3] Premature end of script headers: example.com',
        {'timestamp': 'Mon Aug 31 16:27:04 2015', 'loglevel': 'error', 'clientip': '10.17.42.3', 'message': 'Premature end of script headers: example.com'},
        id='httpd20_errorlog',
    ),
    # httpd_spec.rb HTTPD_ERRORLOG httpd 2.4 message without module
    pytest.param(
        'HTTPD24_ERRORLOG',
        "[Tue Apr 14 14:27:52.605084 2020] [:error] [pid 5688] [client 192.168.10.110:8196] script '/login/wp-login.php' not found or unable to stat",
        {'timestamp': 'Tue Apr 14 14:27:52.605084 2020', 'loglevel': 'error', 'pid': '5688', 'clientip': '192.168.10.110', 'clientport': '8196', 'message': "script '/login/wp-login.php' not found or unable to stat"},
        id='httpd24_errorlog',
    ),
    # httpd_spec.rb HTTPD_ERRORLOG debug message (imperfect match in legacy)
    pytest.param(
        'HTTPD_ERRORLOG',
        '[Fri Feb 01 22:03:08.319124 2019] [authz_core:debug] [pid 9:tid 140597881775872] mod_authz_core.c(820): [client 172.17.0.1:50752] AH01626: authorization result of <RequireAny>: granted',
        {'timestamp': 'Fri Feb 01 22:03:08.319124 2019', 'module': 'authz_core', 'loglevel': 'debug', 'pid': '9', 'tid': '140597881775872', 'errorcode': 'mod_authz_core.c(820)', 'message': '[client 172.17.0.1:50752] AH01626: authorization result of <RequireAny>: granted'},
        id='httpd_errorlog-2',
    ),
    # GrokTests.testSimpleSyslogLine; syslog_spec.rb prog with slash
    pytest.param(
        'SYSLOGLINE',
        'Mar 16 00:01:25 evita postfix/smtpd[1713]: connect from camomile.cloud9.net[168.100.1.3]',
        {'timestamp': 'Mar 16 00:01:25', 'logsource': 'evita', 'program': 'postfix/smtpd', 'pid': '1713', 'message': 'connect from camomile.cloud9.net[168.100.1.3]'},
        id='syslogline',
    ),
    # syslog_spec.rb SYSLOGLINE prog from ansible
    pytest.param(
        'SYSLOGLINE',
        'May 11 15:40:51 meow.soy.se ansible-<stdin>: Invoked with filter=* fact_path=/etc/ansible/facts.d',
        {'timestamp': 'May 11 15:40:51', 'logsource': 'meow.soy.se', 'program': 'ansible-<stdin>', 'message': 'Invoked with filter=* fact_path=/etc/ansible/facts.d'},
        id='syslogline-2',
    ),
    # syslog_spec.rb SYSLOGLINE optional progname
    pytest.param(
        'SYSLOGLINE',
        '<14>Jun 24 10:32:02 win-host WinFileService Event: read, Path: /.DS_Store, File/Folder: File, Size: 6.00 KB, User: user@host, IP: 123.123.123.123',
        {'timestamp': 'Jun 24 10:32:02', 'logsource': 'win-host', 'message': 'WinFileService Event: read, Path: /.DS_Store, File/Folder: File, Size: 6.00 KB, User: user@host, IP: 123.123.123.123'},
        id='syslogline-3',
    ),
    # GrokTests.testSyslog5424Line
    pytest.param(
        'SYSLOG5424LINE',
        '<191>1 2009-06-30T18:30:00+02:00 paxton.local grokdebug 4123 - [id1 foo=\\"bar\\"][id2 baz=\\"something\\"] Hello, syslog.',
        {'syslog5424_pri': '191', 'syslog5424_ver': '1', 'syslog5424_ts': '2009-06-30T18:30:00+02:00', 'syslog5424_host': 'paxton.local', 'syslog5424_app': 'grokdebug', 'syslog5424_proc': '4123', 'syslog5424_sd': '[id1 foo=\\"bar\\"][id2 baz=\\"something\\"]', 'syslog5424_msg': 'Hello, syslog.'},
        id='syslog5424line',
    ),
    # syslog_spec.rb SYSLOG5424LINE ipv4 host
    pytest.param(
        'SYSLOG5424LINE',
        '<174>1 2016-11-14T09:49:23+01:00 10.23.16.6 named 2255 - -  info: client 10.23.56.93#63295 (i1.tmg.com): query: i1.tmg.com IN A + (10.23.4.13)',
        {'syslog5424_pri': '174', 'syslog5424_ver': '1', 'syslog5424_ts': '2016-11-14T09:49:23+01:00', 'syslog5424_host': '10.23.16.6', 'syslog5424_app': 'named', 'syslog5424_proc': '2255', 'syslog5424_msg': 'info: client 10.23.56.93#63295 (i1.tmg.com): query: i1.tmg.com IN A + (10.23.4.13)'},
        id='syslog5424line-2',
    ),
    # syslog_spec.rb SYSLOG5424LINE more structured-data
    pytest.param(
        'SYSLOG5424LINE',
        '<34>1 2012-12-19T01:45:54.001234+11:30 rufus - - - [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] [down]',
        {'syslog5424_pri': '34', 'syslog5424_ver': '1', 'syslog5424_ts': '2012-12-19T01:45:54.001234+11:30', 'syslog5424_host': 'rufus', 'syslog5424_sd': '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]', 'syslog5424_msg': '[down]'},
        id='syslog5424line-3',
    ),
    # syslog_spec.rb SYSLOGPAMSESSION
    pytest.param(
        'SYSLOGPAMSESSION',
        'Jul 14 13:36:03 precision pkexec: pam_unix(polkit-1:session): session opened for user root by (uid=1001)',
        {'timestamp': 'Jul 14 13:36:03', 'logsource': 'precision', 'program': 'pkexec', 'message': 'pam_unix(polkit-1:session): session opened for user root by (uid=1001)', 'pam_module': 'pam_unix', 'pam_caller': 'polkit-1:session', 'pam_session_state': 'opened', 'username': 'root', 'pam_by': '(uid=1001)'},
        id='syslogpamsession',
    ),
    # syslog_spec.rb CRONLOG
    pytest.param(
        'CRONLOG',
        'Jul 17 12:17:01 precision CRON[869568]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)',
        {'timestamp': 'Jul 17 12:17:01', 'logsource': 'precision', 'program': 'CRON', 'pid': '869568', 'user': 'root', 'action': 'CMD', 'message': '   cd / && run-parts --report /etc/cron.hourly'},
        id='cronlog',
    ),
    # GrokTests.testUnicodeSyslog line, read with SYSLOGBASE
    pytest.param(
        'SYSLOGBASE',
        '<22>Jan  4 07:50:46 mailmaster postfix/policy-spf[9454]: : SPF permerror',
        {'timestamp': 'Jan  4 07:50:46', 'logsource': 'mailmaster', 'program': 'postfix/policy-spf', 'pid': '9454'},
        id='syslogbase',
    ),
    # aws_spec.rb ELB_ACCESS_LOG parsing an access log
    pytest.param(
        'ELB_ACCESS_LOG',
        '2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1"',
        {'timestamp': '2014-02-15T23:39:43.945958Z', 'elb': 'my-test-loadbalancer', 'clientip': '192.168.131.39', 'clientport': 2817, 'backendip': '10.0.0.1', 'backendport': 80, 'request_processing_time': 7.3e-05, 'backend_processing_time': 0.001048, 'response_processing_time': 5.7e-05, 'response': 200, 'backend_response': 200, 'received_bytes': 0, 'bytes': 29, 'verb': 'GET', 'request': 'http://www.example.com:80/', 'proto': 'http', 'urihost': 'www.example.com:80', 'port': '80', 'path': '/', 'httpversion': '1.1'},
        id='elb_access_log',
    ),
    # aws_spec.rb ELB_ACCESS_LOG PUT request with missing backend info
    pytest.param(
        'ELB_ACCESS_LOG',
        '2015-04-10T08:11:09.865823Z us-west-1-production-media 49.150.87.133:55128 - -1 -1 -1 408 - 1294336 0 "PUT https://media.xxxyyyzzz.com:443/videos/F4_M-T4X0MM6Hvy1PFHesw HTTP/1.1"',
        {'timestamp': '2015-04-10T08:11:09.865823Z', 'elb': 'us-west-1-production-media', 'clientip': '49.150.87.133', 'clientport': 55128, 'request_processing_time': -1.0, 'backend_processing_time': -1.0, 'response_processing_time': -1.0, 'response': 408, 'received_bytes': 1294336, 'bytes': 0, 'verb': 'PUT', 'request': 'https://media.xxxyyyzzz.com:443/videos/F4_M-T4X0MM6Hvy1PFHesw', 'proto': 'https', 'urihost': 'media.xxxyyyzzz.com:443', 'port': '443', 'path': '/videos/F4_M-T4X0MM6Hvy1PFHesw', 'httpversion': '1.1'},
        id='elb_access_log-2',
    ),
    # aws_spec.rb S3_ACCESS_LOG GET.VERSIONING
    pytest.param(
        'S3_ACCESS_LOG',
        '79a5 mybucket [06/Feb/2014:00:00:38 +0000] 192.0.2.3 79a5 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /mybucket?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -',
        {'owner': '79a5', 'bucket': 'mybucket', 'timestamp': '06/Feb/2014:00:00:38 +0000', 'clientip': '192.0.2.3', 'requester': '79a5', 'request_id': '3E57427F3EXAMPLE', 'operation': 'REST.GET.VERSIONING', 'key': '-', 'verb': 'GET', 'request': '/mybucket?versioning', 'httpversion': '1.1', 'response': 200, 'bytes': 113, 'request_time_ms': 7, 'referrer': '"-"', 'agent': '"S3Console/0.4"'},
        id='s3_access_log',
    ),
    # aws_spec.rb S3_ACCESS_LOG GET.OBJECT
    pytest.param(
        'S3_ACCESS_LOG',
        '79a5 mybucket [12/May/2014:07:54:01 +0000] 10.0.1.2 - 7ACC4BE89EXAMPLE REST.GET.OBJECT foo/bar.html "GET /foo/bar.html HTTP/1.1" 304 - - 1718 10 - "-" "Mozilla/5.0" -',
        {'owner': '79a5', 'bucket': 'mybucket', 'timestamp': '12/May/2014:07:54:01 +0000', 'clientip': '10.0.1.2', 'requester': '-', 'request_id': '7ACC4BE89EXAMPLE', 'operation': 'REST.GET.OBJECT', 'key': 'foo/bar.html', 'verb': 'GET', 'request': '/foo/bar.html', 'httpversion': '1.1', 'response': 304, 'object_size': 1718, 'request_time_ms': 10, 'referrer': '"-"', 'agent': '"Mozilla/5.0"'},
        id='s3_access_log-2',
    ),
    # aws_spec.rb CLOUDFRONT_ACCESS_LOG
    pytest.param(
        'CLOUDFRONT_ACCESS_LOG',
        '2016-06-10\t18:41:39\tIAD53\t224281\t192.168.1.1\tGET\td27enomp470abc.cloudfront.net\t/content/sample/thing.pdf\t200\thttps://example.com/\tMozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36%2520(KHTML,%2520like%2520Gecko)%2520Chrome/51.0.2704.79%2520Safari/537.36\t-\t-\tMiss\tUGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg==\thost.example.com\thttps\t883\t0.036\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tRefreshHit',
        {'timestamp': '2016-06-10\t18:41:39', 'x_edge_location': 'IAD53', 'sc_bytes': 224281, 'clientip': '192.168.1.1', 'cs_method': 'GET', 'cs_host': 'd27enomp470abc.cloudfront.net', 'cs_uri_stem': '/content/sample/thing.pdf', 'sc_status': 200, 'referrer': 'https://example.com/', 'agent': 'Mozilla/5.0%2520(Windows%2520NT%25206.1;%2520WOW64)%2520AppleWebKit/537.36%2520(KHTML,%2520like%2520Gecko)%2520Chrome/51.0.2704.79%2520Safari/537.36', 'cs_uri_query': '-', 'cookies': '-', 'x_edge_result_type': 'Miss', 'x_edge_request_id': 'UGskZ6dUKY7b4C6Pt7wAWVsU2KO-vTRe-mR4r9H-WQMjhNvY6w1Xcg==', 'x_host_header': 'host.example.com', 'cs_protocol': 'https', 'cs_bytes': 883, 'time_taken': 0.036, 'x_forwarded_for': '-', 'ssl_protocol': 'TLSv1.2', 'ssl_cipher': 'ECDHE-RSA-AES128-GCM-SHA256', 'x_edge_response_result_type': 'RefreshHit'},
        id='cloudfront_access_log',
    ),
    # bacula_spec.rb BACULA_LOG_MAX_CAPACITY
    pytest.param(
        'BACULA_LOG_MAX_CAPACITY',
        'User defined maximum volume capacity 108,372,182,400 exceeded on device "FStorage" (/var/lib/bac/storage).',
        {'device': 'FStorage'},
        id='bacula_log_max_capacity',
    ),
    # bacula_spec.rb BACULA_LOG_END_VOLUME
    pytest.param(
        'BACULA_LOG_END_VOLUME',
        'End of medium on Volume "TestShortZN0014" Bytes=5,228,777 Blocks=82 at 21-Dec-2016 12:30.',
        {'volume': 'TestShortZN0014'},
        id='bacula_log_end_volume',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_NEW_VOLUME)
    pytest.param(
        'BACULA_LOGLINE',
        '09-Jan 19:54 bacula-host JobId 265896: Created new Volume "FullAuto-8812" in catalog.',
        {'bts': '09-Jan 19:54', 'hostname': 'bacula-host', 'jobid': '265896', 'volume': 'FullAuto-8812'},
        id='bacula_logline',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_NEW_MOUNT)
    pytest.param(
        'BACULA_LOGLINE',
        '24-Aug 01:54 crey-sd JobId 215534: New volume "DiffAuto-4861" mounted on device "vDrive-1" (/usr/local/bac/volumes) at 24-Aug-2015 01:54.',
        {'bts': '24-Aug 01:54', 'hostname': 'crey-sd', 'jobid': '215534', 'volume': 'DiffAuto-4861', 'device': 'vDrive-1'},
        id='bacula_logline-2',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_ALL_RECORDS_PRUNED, no JobId)
    pytest.param(
        'BACULA_LOGLINE',
        '12-Apr 14:23 VU0EM005: All records pruned from Volume "06D125L3"; marking it "Purged"',
        {'bts': '12-Apr 14:23', 'hostname': 'VU0EM005', 'volume': '06D125L3'},
        id='bacula_logline-3',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_PRUNED_JOBS)
    pytest.param(
        'BACULA_LOGLINE',
        '29-Jan 04:16 lbu02-dir: Pruned 24 Jobs for client uni-horn from catalog.',
        {'bts': '29-Jan 04:16', 'hostname': 'lbu02-dir', 'client': 'uni-horn'},
        id='bacula_logline-4',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_STARTJOB)
    pytest.param(
        'BACULA_LOGLINE',
        '06-Mar 20:00 srvbkp-dir JobId 1075: Start Backup JobId 1075, Job=srv1-bind.2018-03-06_20.00.01_05',
        {'bts': '06-Mar 20:00', 'hostname': 'srvbkp-dir', 'jobid': '1075', 'job': 'srv1-bind.2018-03-06_20.00.01_05'},
        id='bacula_logline-5',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_JOBEND)
    pytest.param(
        'BACULA_LOGLINE',
        '28-Aug 21:55 bacula-sd JobId 16: Job write elapsed time = 00:00:01, Transfer rate = 0  Bytes/second',
        {'bts': '28-Aug 21:55', 'hostname': 'bacula-sd', 'jobid': '16', 'elapsed': '00:00:01'},
        id='bacula_logline-6',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_NOOPENDIR)
    pytest.param(
        'BACULA_LOGLINE',
        '24-Feb 16:36 starfury-fd JobId 3: Could not open directory "/root": ERR=Permission denied',
        {'bts': '24-Feb 16:36', 'hostname': 'starfury-fd', 'jobid': '3', 'berror': 'Permission denied'},
        id='bacula_logline-7',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_FATAL_CONN)
    pytest.param(
        'BACULA_LOGLINE',
        '11-Nov 13:28 bacula-dir JobId 11: Fatal error: bsock.c:133 Unable to connect to Client: dc0-fd on dc0.teamworld.com:9102. ERR=Connection refused',
        {'bts': '11-Nov 13:28', 'hostname': 'bacula-dir', 'jobid': '11', 'client': 'dc0-fd', 'berror': 'Connection refused'},
        id='bacula_logline-8',
    ),
    # bacula_spec.rb BACULA_LOGLINE (BACULA_LOG_CLIENT_RBJ)
    pytest.param(
        'BACULA_LOGLINE',
        '01-Aug 13:30 toe-fd JobId 686: shell command: run ClientRunBeforeJob "/etc/bacula/cbe_hanfs.sh /mnt/baxter/fs1"',
        {'bts': '01-Aug 13:30', 'hostname': 'toe-fd', 'jobid': '686', 'runjob': '/etc/bacula/cbe_hanfs.sh /mnt/baxter/fs1'},
        id='bacula_logline-9',
    ),
    # bind_spec.rb BIND9
    pytest.param(
        'BIND9',
        '17-Feb-2018 23:06:56.326 queries: info: client 172.26.0.1#12345 (test.example.com): query: test.example.com IN A +E(0)K (172.26.0.3)',
        {'timestamp': '17-Feb-2018 23:06:56.326', 'loglevel': 'info', 'clientip': '172.26.0.1', 'clientport': '12345', 'query': ['test.example.com', 'test.example.com'], 'querytype': 'A +E(0)K', 'dns': '172.26.0.3'},
        id='bind9',
    ),
    # bro_spec.rb BRO_HTTP (old bro logging format)
    pytest.param(
        'BRO_HTTP',
        '1432555199.633017\tCOpk6E3vkURP8QQNKl\t192.168.9.35\t55281\t178.236.7.146\t80\t4\tPOST\twww.amazon.it\t/xa/dealcontent/v2/GetDeals?nocache=1432555199326\thttp://www.amazon.it/\tMozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36\t223\t1859\t200\tOK\t-\t-\t-\t(empty)\tkares\t-\t-\tFrLEcY3AUPKdcYGf29\ttext/plain\tFOJpbGzIMh9syPxH8\ttext/plain',
        {'ts': '1432555199.633017', 'uid': 'COpk6E3vkURP8QQNKl', 'orig_h': '192.168.9.35', 'orig_p': '55281', 'resp_h': '178.236.7.146', 'resp_p': '80', 'trans_depth': '4', 'method': 'POST', 'domain': 'www.amazon.it', 'uri': '/xa/dealcontent/v2/GetDeals?nocache=1432555199326', 'referrer': 'http://www.amazon.it/', 'user_agent': 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36', 'request_body_len': '223', 'response_body_len': '1859', 'status_code': '200', 'status_msg': 'OK', 'info_code': '-', 'info_msg': '-', 'filename': '-', 'bro_tags': '(empty)', 'username': 'kares', 'password': '-', 'proxied': '-', 'orig_fuids': 'FrLEcY3AUPKdcYGf29', 'orig_mime_types': 'text/plain', 'resp_fuids': 'FOJpbGzIMh9syPxH8', 'resp_mime_types': 'text/plain'},
        id='bro_http',
    ),
    # bro_spec.rb BRO_HTTP (zeek) updated log format: matches wrongly in legacy mode, domain 1.1
    pytest.param(
        'BRO_HTTP',
        '1602164975.587600\tCt73QY3M7T5dikxggf\t192.168.122.59\t55240\t93.184.220.29\t80\t1\t-\t-\t-\t-\t1.1\t-\t-\t0\t471\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tFPGXN33wAFL8MPKJXl\t-\tapplication/ocsp-response',
        {'ts': '1602164975.587600', 'uid': 'Ct73QY3M7T5dikxggf', 'orig_h': '192.168.122.59', 'orig_p': '55240', 'resp_h': '93.184.220.29', 'resp_p': '80', 'trans_depth': '1', 'method': '-\t-\t-\t-', 'domain': '1.1', 'uri': '-', 'referrer': '-', 'user_agent': '0', 'request_body_len': '471', 'response_body_len': '200', 'status_code': 'OK', 'status_msg': '-', 'info_code': '-', 'info_msg': '(empty)', 'filename': '-', 'bro_tags': '-', 'username': '-', 'password': '-', 'proxied': '-', 'orig_fuids': '-', 'orig_mime_types': 'FPGXN33wAFL8MPKJXl', 'resp_fuids': '-', 'resp_mime_types': 'application/ocsp-response'},
        id='bro_http-2',
    ),
    # bro_spec.rb BRO_DNS (old bro logging format)
    pytest.param(
        'BRO_DNS',
        '1359565680.761790\tUWkUyAuUGXf\t192.168.6.10\t53209\t192.168.129.36\t53\tudp\t41477\tpaypal.com\t1\tC_INTERNET\t48\tDNSKEY\t0\tNOERROR\tF\tF\tT\tF\t1\t-\t-\tF',
        {'ts': '1359565680.761790', 'uid': 'UWkUyAuUGXf', 'orig_h': '192.168.6.10', 'orig_p': '53209', 'resp_h': '192.168.129.36', 'resp_p': '53', 'proto': 'udp', 'trans_id': '41477', 'query': 'paypal.com', 'qclass': '1', 'qclass_name': 'C_INTERNET', 'qtype': '48', 'qtype_name': 'DNSKEY', 'rcode': '0', 'rcode_name': 'NOERROR', 'AA': 'F', 'TC': 'F', 'RD': 'T', 'RA': 'F', 'Z': '1', 'answers': '-', 'TTLs': '-', 'rejected': 'F'},
        id='bro_dns',
    ),
    # ingesthost: a conn.log line of the 24 columns BRO_CONN reads
    pytest.param(
        'BRO_CONN',
        '1541350796.901974\tC54zqz17PXuBv3HkLg\t192.168.0.26\t54855\t54.85.115.89\t443\ttcp\tssl\t0.153642\t1147\t589\tSF\tT\tF\t0\tShADadfF\t7\t1439\t8\t921\t(empty)\t-\t-\tsensor1',
        {'ts': '1541350796.901974', 'uid': 'C54zqz17PXuBv3HkLg', 'orig_h': '192.168.0.26', 'orig_p': '54855', 'resp_h': '54.85.115.89', 'resp_p': '443', 'proto': 'tcp', 'service': 'ssl', 'duration': '0.153642', 'orig_bytes': '1147', 'resp_bytes': '589', 'conn_state': 'SF', 'local_orig': 'T', 'local_resp': 'F', 'missed_bytes': '0', 'history': 'ShADadfF', 'orig_pkts': '7', 'orig_ip_bytes': '1439', 'resp_pkts': '8', 'resp_ip_bytes': '921', 'tunnel_parents': '(empty)', 'oric_cc': '-', 'resp_cc': '-', 'sensorname': 'sensor1'},
        id='bro_conn',
    ),
    # ingesthost: a files.log line of the 23 columns BRO_FILES reads
    pytest.param(
        'BRO_FILES',
        '1258867934.558264\tF2xow8TIkvHG4Zz41\t198.189.255.75\t192.168.1.105\tCHhAvVGS1DHFjwGM9\tHTTP\t0\tEXTRACT\tapplication/pdf\t-\t0.1\t-\tF\t1000\t1000\t0\t0\tF\t-\te3d0b1f7cbb6b37d4d1c7a1e2e6bd1c1\t-\t-\t-',
        {'ts': '1258867934.558264', 'fuid': 'F2xow8TIkvHG4Zz41', 'tx_hosts': '198.189.255.75', 'rx_hosts': '192.168.1.105', 'conn_uids': 'CHhAvVGS1DHFjwGM9', 'source': 'HTTP', 'depth': '0', 'analyzers': 'EXTRACT', 'mime_type': 'application/pdf', 'filename': '-', 'duration': '0.1', 'local_orig': '-', 'is_orig': 'F', 'seen_bytes': '1000', 'total_bytes': '1000', 'missing_bytes': '0', 'overflow_bytes': '0', 'timedout': 'F', 'parent_fuid': '-', 'md5': 'e3d0b1f7cbb6b37d4d1c7a1e2e6bd1c1', 'sha1': '-', 'sha256': '-', 'extracted': '-'},
        id='bro_files',
    ),
    # exim_spec.rb EXIM message arrival (old)
    pytest.param(
        'EXIM',
        '1995-10-31 08:57:53 0tACW1-0005MB-00 <= kryten@dwarf.fict.example H=mailer.fict.example [192.168.123.123] U=exim P=smtp S=5678 id=f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example',
        {'timestamp': '1995-10-31 08:57:53', 'exim_year': '1995', 'exim_month': '10', 'exim_day': '31', 'exim_time': '08:57:53', 'exim_msgid': '0tACW1-0005MB-00', 'exim_flags': '<=', 'exim_sender_email': 'kryten@dwarf.fict.example', 'remote_hostname': 'mailer.fict.example', 'remote_host': '192.168.123.123', 'protocol': 'smtp', 'exim_msg_size': '5678', 'exim_header_id': 'f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example'},
        id='exim',
    ),
    # exim_spec.rb EXIM message arrival (new)
    pytest.param(
        'EXIM',
        '2010-09-13 05:00:13 [1487] 1Ov4tU-0000Nz-Rm <= mailling.list@domain.com H=mailhost.domain.com [208.42.54.2]:51792 I=[67.215.162.175]:25 P=esmtps X=TLSv1:AES256-SHA:256 CV=no S=21778 id=384a86a39e83be0d9b3a94d1feb3119f@domain.com T="Daily List: Chameleon" for user@example.com',
        {'timestamp': '2010-09-13 05:00:13', 'exim_year': '2010', 'exim_month': '09', 'exim_day': '13', 'exim_time': '05:00:13', 'pid': '1487', 'exim_msgid': '1Ov4tU-0000Nz-Rm', 'exim_flags': '<=', 'exim_sender_email': 'mailling.list@domain.com', 'remote_hostname': 'mailhost.domain.com', 'remote_host': '208.42.54.2', 'remote_port': '51792', 'exim_interface': '67.215.162.175', 'exim_interface_port': '25', 'protocol': 'esmtps', 'exim_msg_size': '21778', 'exim_header_id': '384a86a39e83be0d9b3a94d1feb3119f@domain.com', 'exim_subject': '"Daily List: Chameleon"', 'exim_recipient_email': 'user@example.com'},
        id='exim-2',
    ),
    # exim_spec.rb EXIM message arrival with quoted hostname
    pytest.param(
        'EXIM_MESSAGE_ARRIVAL',
        '2013-03-20 12:44:02 1UIIN7-0004t9-8R <= root@example.com H=localhost (hostname.example.com) [127.0.0.1] P=esmtps X=TLSv1:DHE-RSA-AES256-SHA:256 S=811 id=201303201244.r2KCi11V018784@hostname.example.com',
        {'timestamp': '2013-03-20 12:44:02', 'exim_year': '2013', 'exim_month': '03', 'exim_day': '20', 'exim_time': '12:44:02', 'exim_msgid': '1UIIN7-0004t9-8R', 'exim_flags': '<=', 'exim_sender_email': 'root@example.com', 'remote_hostname': 'localhost', 'remote_heloname': 'hostname.example.com', 'remote_host': '127.0.0.1', 'protocol': 'esmtps', 'exim_msg_size': '811', 'exim_header_id': '201303201244.r2KCi11V018784@hostname.example.com'},
        id='exim_message_arrival',
    ),
    # netscreen_spec.rb NETSCREENSESSIONLOG traffic denied (Juniper)
    pytest.param(
        'NETSCREENSESSIONLOG',
        'Jun  2 14:53:31 sample-host isg1000-A2: NetScreen device_id=0000011001000011 [Root]system-notification-00257(traffic): start_time="2015-11-11 10:02:10" duration=0 policy_id=244 service=https proto=6 src zone=Untrust dst zone=Trust action=Permit sent=0 rcvd=0 src=74.168.138.252 dst=72.72.72.72 src_port=1732 dst_port=443 src-xlated ip=1.255.20.1 port=22041 dst-xlated ip=1.244.136.50 port=443 session_id=488451 reason=Creation',
        {'date': 'Jun  2 14:53:31', 'device': 'sample-host', 'device_id': '0000011001000011', 'start_time': '"2015-11-11 10:02:10"', 'duration': '0', 'policy_id': '244', 'service': 'https', 'proto': '6', 'src_zone': 'Untrust', 'dst_zone': 'Trust', 'action': 'Permit', 'sent': '0', 'rcvd': '0', 'src_ip': '74.168.138.252', 'dst_ip': '72.72.72.72', 'src_port': '1732', 'dst_port': '443', 'src_xlated_ip': '1.255.20.1', 'src_xlated_port': '22041', 'dst_xlated_ip': '1.244.136.50', 'dst_xlated_port': '443', 'session_id': '488451', 'reason': 'Creation'},
        id='netscreensessionlog',
    ),
    # firewalls_spec.rb CISCO_TAGGED_SYSLOG
    pytest.param(
        'CISCO_TAGGED_SYSLOG',
        '<191>Jan 24 11:28:30.407: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/0, changed state to down',
        {'syslog_pri': '191', 'timestamp': 'Jan 24 11:28:30.407', 'ciscotag': 'LINEPROTO-5-UPDOWN'},
        id='cisco_tagged_syslog',
    ),
    # firewalls_spec.rb CISCO_TAGGED_SYSLOG with host
    pytest.param(
        'CISCO_TAGGED_SYSLOG',
        '<191>Aug  1 14:01:20 abc-asa1: %ASA-6-302013: Built outbound TCP connection 906569140 for out-v1101:10.125.126.86/2010 (10.125.126.86/2010) to ent-v1124:100.100.100.111/51444 (10.125.1.11/37785)',
        {'syslog_pri': '191', 'timestamp': 'Aug  1 14:01:20', 'sysloghost': 'abc-asa1', 'ciscotag': 'ASA-6-302013'},
        id='cisco_tagged_syslog-2',
    ),
    # firewalls_spec.rb CISCOFW104001
    pytest.param(
        'CISCOFW104001',
        '(Secondary) Switching to ACTIVE - Service card in other unit has failed',
        {'switch_reason': 'Service card in other unit has failed'},
        id='ciscofw104001',
    ),
    # firewalls_spec.rb CISCOFW106001
    pytest.param(
        'CISCOFW106001',
        'ASA-2-106001: Inbound TCP connection denied from 192.168.2.2/43803 to 10.10.10.10/14322 flags SYN on interface out111',
        {'direction': 'Inbound', 'protocol': 'TCP', 'action': 'denied', 'src_ip': '192.168.2.2', 'src_port': '43803', 'dst_ip': '10.10.10.10', 'dst_port': '14322', 'tcp_flags': 'SYN', 'interface': 'out111'},
        id='ciscofw106001',
    ),
    # firewalls_spec.rb CISCOFW106006_106007_106010 (DATA at the end matches empty)
    pytest.param(
        'CISCOFW106006_106007_106010',
        'ASA-2-106006: Deny inbound UDP from 192.168.2.2/65020 to 10.10.10.10/65021 on interface fw111',
        {'action': 'Deny', 'direction': 'inbound', 'protocol': 'UDP', 'src_ip': '192.168.2.2', 'src_port': '65020', 'dst_ip': '10.10.10.10', 'dst_port': '65021', 'interface': ''},
        id='ciscofw106006_106007_106010',
    ),
    # firewalls_spec.rb CISCOFW106015
    pytest.param(
        'CISCOFW106015',
        'Deny TCP (no connection) from 192.168.150.65/2278 to 64.101.128.83/80 flags RST on interface eth0',
        {'action': 'Deny', 'protocol': 'TCP', 'policy_id': 'no connection', 'src_ip': '192.168.150.65', 'src_port': '2278', 'dst_ip': '64.101.128.83', 'dst_port': '80', 'tcp_flags': 'RST', 'interface': 'eth0'},
        id='ciscofw106015',
    ),
    # firewalls_spec.rb CISCOFW106021
    pytest.param(
        'CISCOFW106021',
        'ASA-4-106021: Deny TCP reverse path check from 192.168.2.2 to 10.10.10.10 on interface fw111',
        {'action': 'Deny', 'protocol': 'TCP', 'src_ip': '192.168.2.2', 'dst_ip': '10.10.10.10', 'interface': 'fw111'},
        id='ciscofw106021',
    ),
    # firewalls_spec.rb CISCOFW106023
    pytest.param(
        'CISCOFW106023',
        'Deny tcp src outside:192.168.1.1/50240 dst inside:192.168.1.2/23 by access-group "S_OUTSIDE_TO_INSIDE" [0x54c7fa80, 0x0]',
        {'action': 'Deny', 'protocol': 'tcp', 'src_interface': 'outside', 'src_ip': '192.168.1.1', 'src_port': '50240', 'dst_interface': 'inside', 'dst_ip': '192.168.1.2', 'dst_port': '23', 'policy_id': 'S_OUTSIDE_TO_INSIDE', 'hashcode1': '0x54c7fa80', 'hashcode2': '0x0'},
        id='ciscofw106023',
    ),
    # firewalls_spec.rb CISCOFW106023 with a protocol number
    pytest.param(
        'CISCOFW106023',
        'Deny protocol 103 src outside:192.168.1.1/50240 dst inside:192.168.1.2/23 by access-group "S_OUTSIDE_TO_INSIDE" [0x54c7fa80, 0x0]',
        {'action': 'Deny', 'protocol': '103', 'src_interface': 'outside', 'src_ip': '192.168.1.1', 'src_port': '50240', 'dst_interface': 'inside', 'dst_ip': '192.168.1.2', 'dst_port': '23', 'policy_id': 'S_OUTSIDE_TO_INSIDE', 'hashcode1': '0x54c7fa80', 'hashcode2': '0x0'},
        id='ciscofw106023-2',
    ),
    # firewalls_spec.rb CISCOFW106023 with a hostname
    pytest.param(
        'CISCOFW106023',
        'Deny tcp src outside:192.168.1.1/50240 dst inside:www.example.com/23 by access-group "S_OUTSIDE_TO_INSIDE" [0x54c7fa80, 0x0]',
        {'action': 'Deny', 'protocol': 'tcp', 'src_interface': 'outside', 'src_ip': '192.168.1.1', 'src_port': '50240', 'dst_interface': 'inside', 'dst_ip': 'www.example.com', 'dst_port': '23', 'policy_id': 'S_OUTSIDE_TO_INSIDE', 'hashcode1': '0x54c7fa80', 'hashcode2': '0x0'},
        id='ciscofw106023-3',
    ),
    # firewalls_spec.rb CISCOFW106100 first hit
    pytest.param(
        'CISCOFW106100',
        'access-list inside permitted tcp inside/10.10.123.45(51763) -> outside/192.168.67.89(80) hit-cnt 1 first hit [0x62c4905, 0x0]',
        {'policy_id': 'inside', 'action': 'permitted', 'protocol': 'tcp', 'src_interface': 'inside', 'src_ip': '10.10.123.45', 'src_port': '51763', 'dst_interface': 'outside', 'dst_ip': '192.168.67.89', 'dst_port': '80', 'hit_count': '1', 'interval': 'first hit', 'hashcode1': '0x62c4905', 'hashcode2': '0x0'},
        id='ciscofw106100',
    ),
    # firewalls_spec.rb CISCOFW106100 300-second interval
    pytest.param(
        'CISCOFW106100',
        'access-list outside-entry permitted tcp outside/10.11.12.13(54726) -> inside/192.168.17.18(80) hit-cnt 1 300-second interval [0x32b3835, 0x0]',
        {'policy_id': 'outside-entry', 'action': 'permitted', 'protocol': 'tcp', 'src_interface': 'outside', 'src_ip': '10.11.12.13', 'src_port': '54726', 'dst_interface': 'inside', 'dst_ip': '192.168.17.18', 'dst_port': '80', 'hit_count': '1', 'interval': '300-second interval', 'hashcode1': '0x32b3835', 'hashcode2': '0x0'},
        id='ciscofw106100-2',
    ),
    # firewalls_spec.rb CISCOFW304001
    pytest.param(
        'CISCOFW304001',
        '10.20.30.40(DOMAIN\\login) Accessed URL 10.11.12.13:http://example.org/',
        {'src_ip': '10.20.30.40', 'src_fwuser': 'DOMAIN\\login', 'dst_ip': '10.11.12.13', 'dst_url': 'http://example.org/'},
        id='ciscofw304001',
    ),
    # firewalls_spec.rb CISCOFW110002
    pytest.param(
        'CISCOFW110002',
        'ASA-6-110002: Failed to locate egress interface for TCP from sourceInterfaceName:91.240.17.178/7777 to 192.168.2.2/123412',
        {'reason': 'Failed to locate egress interface', 'protocol': 'TCP', 'src_interface': 'sourceInterfaceName', 'src_ip': '91.240.17.178', 'src_port': '7777', 'dst_ip': '192.168.2.2', 'dst_port': '123412'},
        id='ciscofw110002',
    ),
    # firewalls_spec.rb CISCOFW302013_302014_302015_302016
    pytest.param(
        'CISCOFW302013_302014_302015_302016',
        'ASA-6-302013: Built outbound TCP connection 11757 for outside:100.66.205.104/80 (100.66.205.104/80) to inside:172.31.98.44/1772 (172.31.98.44/1772)',
        {'action': 'Built', 'direction': 'outbound', 'protocol': 'TCP', 'connection_id': '11757', 'src_interface': 'outside', 'src_ip': '100.66.205.104', 'src_port': '80', 'src_mapped_ip': '100.66.205.104', 'src_mapped_port': '80', 'dst_interface': 'inside', 'dst_ip': '172.31.98.44', 'dst_port': '1772', 'dst_mapped_ip': '172.31.98.44', 'dst_mapped_port': '1772'},
        id='ciscofw302013_302014_302015_302016',
    ),
    # firewalls_spec.rb CISCOFW302020_302021
    pytest.param(
        'CISCOFW302020_302021',
        '302020: Built inbound ICMP connection for faddr 10.137.200.251/18425 gaddr 10.137.10.1/0 laddr 10.137.10.10/0',
        {'action': 'Built', 'direction': 'inbound', 'protocol': 'ICMP', 'dst_ip': '10.137.200.251', 'icmp_seq_num': '18425', 'src_xlated_ip': '10.137.10.1', 'icmp_code_xlated': '0', 'src_ip': '10.137.10.10', 'icmp_code': '0'},
        id='ciscofw302020_302021',
    ),
    # firewalls_spec.rb CISCOFW302020_302021 (302021)
    pytest.param(
        'CISCOFW302020_302021',
        '6|Nov 28 2014 12:59:03|302021: Teardown ICMP connection for faddr 10.137.200.251/18425 gaddr 10.137.10.1/0 laddr 10.137.10.10/0',
        {'action': 'Teardown', 'protocol': 'ICMP', 'dst_ip': '10.137.200.251', 'icmp_seq_num': '18425', 'src_xlated_ip': '10.137.10.1', 'icmp_code_xlated': '0', 'src_ip': '10.137.10.10', 'icmp_code': '0'},
        id='ciscofw302020_302021-2',
    ),
    # firewalls_spec.rb CISCOFW305011
    pytest.param(
        'CISCOFW305011',
        'Built dynamic TCP translation from inside:172.31.98.44/1772 to outside:100.66.98.44/8256',
        {'action': 'Built', 'xlate_type': 'dynamic', 'protocol': 'TCP', 'src_interface': 'inside', 'src_ip': '172.31.98.44', 'src_port': '1772', 'src_xlated_interface': 'outside', 'src_xlated_ip': '100.66.98.44', 'src_xlated_port': ''},
        id='ciscofw305011',
    ),
    # firewalls_spec.rb CISCOFW313001_313004_313008
    pytest.param(
        'CISCOFW313001_313004_313008',
        'ASA-3-313001: Denied ICMP type=3, code=3 from 10.2.3.5 on interface Outside',
        {'action': 'Denied', 'protocol': 'ICMP', 'icmp_type': '3', 'icmp_code': '3', 'src_ip': '10.2.3.5', 'interface': ''},
        id='ciscofw313001_313004_313008',
    ),
    # firewalls_spec.rb CISCOFW402117
    pytest.param(
        'CISCOFW402117',
        '%ASA-4-402117: IPSEC: Received a non-IPSec packet (protocol= ICMP) from 10.5.1.127 to 192.168.6.102.',
        {'protocol': 'IPSEC', 'orig_protocol': 'ICMP', 'src_ip': '10.5.1.127', 'dst_ip': '192.168.6.102'},
        id='ciscofw402117',
    ),
    # firewalls_spec.rb CISCOFW402119
    pytest.param(
        'CISCOFW402119',
        '%ASA-4-402119: IPSEC: Received an ESP packet (SPI= 0x1B86506B, sequence number= 0x28B) from 68.18.122.4 (user= Bangalo) to 10.10.1.1 that failed anti-replay checking.',
        {'protocol': 'IPSEC', 'orig_protocol': 'ESP', 'spi': '0x1B86506B', 'seq_num': '0x28B', 'src_ip': '68.18.122.4', 'user': 'Bangalo', 'dst_ip': '10.10.1.1'},
        id='ciscofw402119',
    ),
    # firewalls_spec.rb CISCOFW419001
    pytest.param(
        'CISCOFW419001',
        '%ASA-4-419001: Dropping TCP packet from outside:65.55.184.155/80 to inside:192.168.10.11/49043, reason: MSS exceeded, MSS 1380, data 1460',
        {'action': 'Dropping', 'protocol': 'TCP', 'src_interface': 'outside', 'src_ip': '65.55.184.155', 'src_port': '80', 'dst_interface': 'inside', 'dst_ip': '192.168.10.11', 'dst_port': '49043', 'reason': 'MSS exceeded, MSS 1380, data 1460'},
        id='ciscofw419001',
    ),
    # firewalls_spec.rb CISCOFW419002
    pytest.param(
        'CISCOFW419002',
        '%ASA-4-419002: Duplicate TCP SYN from OUTSIDE:10.10.66.2/65087 to INSIDE:10.10.1.6/443 with different initial sequence number.',
        {'reason': 'Duplicate TCP SYN', 'src_interface': 'OUTSIDE', 'src_ip': '10.10.66.2', 'src_port': '65087', 'dst_interface': 'INSIDE', 'dst_ip': '10.10.1.6', 'dst_port': '443'},
        id='ciscofw419002',
    ),
    # firewalls_spec.rb CISCOFW602303_602304
    pytest.param(
        'CISCOFW602303_602304',
        '%ASA-6-602303: IPSEC: An outbound LAN-to-LAN SA (SPI= 0xF81283) between 91.240.17.178 and 192.168.2.2 (user= admin) has been created.',
        {'protocol': 'IPSEC', 'direction': 'outbound', 'tunnel_type': 'LAN-to-LAN', 'spi': '0xF81283', 'src_ip': '91.240.17.178', 'dst_ip': '192.168.2.2', 'user': 'admin', 'action': 'created'},
        id='ciscofw602303_602304',
    ),
    # firewalls_spec.rb CISCOFW710001_710002_710003_710005_710006
    pytest.param(
        'CISCOFW710001_710002_710003_710005_710006',
        '%PIX-7-710001: TCP access requested from 192.168.1.2/2354 to inside:192.168.1.1/443',
        {'protocol': 'TCP', 'action': 'requested', 'src_ip': '192.168.1.2', 'src_port': '2354', 'dst_interface': 'inside', 'dst_ip': '192.168.1.1', 'dst_port': '443'},
        id='ciscofw710001_710002_710003_710005_710006',
    ),
    # firewalls_spec.rb CISCOFW713172
    pytest.param(
        'CISCOFW713172',
        '%ASA-6-713172: Group = 212.9.5.245, IP = 212.9.5.245, Automatic NAT Detection Status:    Remote end is NOT behind a NAT device    This  end  IS  behind a NAT device',
        {'group': '212.9.5.245', 'src_ip': '212.9.5.245', 'is_remote_natted': 'is NOT', 'is_local_natted': 'IS'},
        id='ciscofw713172',
    ),
    # firewalls_spec.rb CISCOFW733100
    pytest.param(
        'CISCOFW733100',
        '%ASA-4-733100: [192.168.2.2] drop rate-1 exceeded. Current burst rate is 0 per second, max configured rate is -4; Current average rate is 7 per second, max configured rate is -5; Cumulative total count is 9063',
        {'drop_type': '192.168.2.2', 'drop_rate_id': 'rate-1', 'drop_rate_current_burst': '0', 'drop_rate_max_burst': '-4', 'drop_rate_current_avg': '7', 'drop_rate_max_avg': '-5', 'drop_total_count': '9063'},
        id='ciscofw733100',
    ),
    # shorewall_spec.rb SHOREWALL with OUT interface
    pytest.param(
        'SHOREWALL',
        'May 28 17:23:25 myHost kernel: [3124658.791874] Shorewall:FORWARD:REJECT:IN=eth2 OUT=eth2 SRC=1.2.3.4 DST=192.168.0.10 LEN=141 TOS=0x00 PREC=0x00 TTL=63 ID=55251 PROTO=UDP SPT=5353 DPT=5335 LEN=121',
        {'timestamp': 'May 28 17:23:25', 'nf_host': 'myHost', 'nf_action1': 'FORWARD', 'nf_action2': 'REJECT', 'nf_in_interface': 'eth2', 'nf_out_interface': 'eth2', 'nf_src_ip': '1.2.3.4', 'nf_dst_ip': '192.168.0.10', 'nf_len': '141', 'nf_tos': '0x00', 'nf_prec': '0x00', 'nf_ttl': '63', 'nf_id': '55251', 'nf_protocol': 'UDP', 'nf_src_port': '5353', 'nf_dst_port': '5335'},
        id='shorewall',
    ),
    # shorewall_spec.rb SHOREWALL without OUT interface
    pytest.param(
        'SHOREWALL',
        'May 28 17:31:07 server Shorewall:net2fw:DROP:IN=eth1 OUT= MAC=00:02:b3:c7:2f:77:38:72:c0:6e:92:9c:08:00 SRC=127.0.0.1 DST=1.2.3.4 LEN=60 TOS=0x00 PREC=0x00 TTL=49 ID=6480 DF PROTO=TCP SPT=59088 DPT=8080 WINDOW=2920 RES=0x00 SYN URGP=0',
        {'timestamp': 'May 28 17:31:07', 'nf_host': 'server', 'nf_action1': 'net2fw', 'nf_action2': 'DROP', 'nf_in_interface': 'eth1', 'nf_dst_mac': '00:02:b3:c7:2f:77', 'nf_src_mac': '38:72:c0:6e:92:9c', 'nf_src_ip': '127.0.0.1', 'nf_dst_ip': '1.2.3.4', 'nf_len': '60', 'nf_tos': '0x00', 'nf_prec': '0x00', 'nf_ttl': '49', 'nf_id': '6480', 'nf_protocol': 'TCP', 'nf_src_port': '59088', 'nf_dst_port': '8080'},
        id='shorewall-2',
    ),
    # firewalls_spec.rb SFW2
    pytest.param(
        'SFW2',
        'Jan 29 00:00:28 myth kernel: SFW2-INext-DROP-DEFLT IN=ppp0 OUT= MAC= SRC=24.64.208.134 DST=216.58.112.55 LEN=512 TOS=0x00 PREC=0x00 TTL=70 ID=55012 PROTO=UDP SPT=24128 DPT=1026 LEN=492',
        {'timestamp': 'Jan 29 00:00:28', 'nf_action': 'DROP-DEFLT', 'nf_in_interface': 'ppp0', 'nf_src_ip': '24.64.208.134', 'nf_dst_ip': '216.58.112.55', 'nf_protocol': 'UDP', 'nf_src_port': '24128', 'nf_dst_port': '1026'},
        id='sfw2',
    ),
    # firewalls_spec.rb SFW2 long message (NAGIOSTIME's nagios_epoch)
    pytest.param(
        'SFW2',
        'Mar  8 20:16:44 black kernel: [20474.050964] SFW2-INext-ACC-TCP IN=eth0 OUT= MAC=28:45:a7:f3:18:00:00:22:15:67:6a:25:08:00 SRC=192.168.0.101 DST=192.168.0.100 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=6429 DF PROTO=TCP SPT=59282 DPT=631 WINDOW=14600 RES=0x00 SYN URGP=0 OPT (020405B40402080A00825F5D0000000001030307)',
        {'timestamp': 'Mar  8 20:16:44', 'nagios_epoch': '20474.050964', 'nf_action': 'ACC-TCP', 'nf_in_interface': 'eth0', 'nf_dst_mac': '28:45:a7:f3:18:00', 'nf_src_mac': '00:22:15:67:6a:25', 'nf_src_ip': '192.168.0.101', 'nf_dst_ip': '192.168.0.100', 'nf_protocol': 'TCP', 'nf_src_port': '59282', 'nf_dst_port': '631'},
        id='sfw2-2',
    ),
    # firewalls_spec.rb SFW2 IPv6 message
    pytest.param(
        'SFW2',
        'Jan 15 11:21:13 IKCS-Web kernel: SFW2-INext-ACC-RELATED IN=eth0 OUT=eth1 MAC= SRC=fe80:0000:0000:0000:16da:e9ff:feec:a04d DST=ff02:0000:0000:0000:0000:0000:0000:00fb LEN=527 TC=0 HOPLIMIT=255 FLOWLBL=804001 PROTO=UDP SPT=5353 DPT=5353 LEN=487',
        {'timestamp': 'Jan 15 11:21:13', 'nf_action': 'ACC-RELATED', 'nf_in_interface': 'eth0', 'nf_out_interface': 'eth1', 'nf_src_ip': 'fe80:0000:0000:0000:16da:e9ff:feec:a04d', 'nf_dst_ip': 'ff02:0000:0000:0000:0000:0000:0000:00fb', 'nf_protocol': 'UDP', 'nf_src_port': '5353', 'nf_dst_port': '5353'},
        id='sfw2-3',
    ),
    # haproxy_spec.rb HAPROXYHTTP log line from raw syslog line
    pytest.param(
        'HAPROXYHTTP',
        'Dec  9 13:01:26 localhost haproxy[28029]: 127.0.0.1:39759 [09/Dec/2013:12:59:46.633] loadbalancer default/instance8 0/51536/1/48082/99627 200 83285 - - ---- 87/87/87/1/0 0/67 {77.24.148.74} "GET /path/to/image HTTP/1.1"',
        {'syslog_timestamp': 'Dec  9 13:01:26', 'syslog_server': 'localhost', 'program': 'haproxy', 'pid': '28029', 'client_ip': '127.0.0.1', 'client_port': '39759', 'accept_date': '09/Dec/2013:12:59:46.633', 'haproxy_monthday': '09', 'haproxy_month': 'Dec', 'haproxy_year': '2013', 'haproxy_time': '12:59:46', 'haproxy_hour': '12', 'haproxy_minute': '59', 'haproxy_second': '46', 'haproxy_milliseconds': '633', 'frontend_name': 'loadbalancer', 'backend_name': 'default', 'server_name': 'instance8', 'time_request': '0', 'time_queue': '51536', 'time_backend_connect': '1', 'time_backend_response': '48082', 'time_duration': '99627', 'http_status_code': '200', 'bytes_read': '83285', 'captured_request_cookie': '-', 'captured_response_cookie': '-', 'termination_state': '----', 'actconn': '87', 'feconn': '87', 'beconn': '87', 'srvconn': '1', 'retries': '0', 'srv_queue': '0', 'backend_queue': '67', 'captured_request_headers': '77.24.148.74', 'http_verb': 'GET', 'http_request': '/path/to/image', 'http_version': '1.1'},
        id='haproxyhttp',
    ),
    # haproxy_spec.rb HAPROXYHTTP ISO8601 timestamp, no headers
    pytest.param(
        'HAPROXYHTTP',
        '2015-08-26T02:09:48+02:00 localhost haproxy[14389]: 5.196.2.38:39527 [03/Nov/2015:06:25:25.105] services~ def/api 4599/0/0/428/5027 304 320 - - ---- 1/1/0/1/0 0/0 "GET /component---src-pages-index-js-4b15624544f97cf0bb8f.js HTTP/1.1"',
        {'timestamp8601': '2015-08-26T02:09:48+02:00', 'syslog_server': 'localhost', 'program': 'haproxy', 'pid': '14389', 'client_ip': '5.196.2.38', 'client_port': '39527', 'accept_date': '03/Nov/2015:06:25:25.105', 'haproxy_monthday': '03', 'haproxy_month': 'Nov', 'haproxy_year': '2015', 'haproxy_time': '06:25:25', 'haproxy_hour': '06', 'haproxy_minute': '25', 'haproxy_second': '25', 'haproxy_milliseconds': '105', 'frontend_name': 'services~', 'backend_name': 'def', 'server_name': 'api', 'time_request': '4599', 'time_queue': '0', 'time_backend_connect': '0', 'time_backend_response': '428', 'time_duration': '5027', 'http_status_code': '304', 'bytes_read': '320', 'captured_request_cookie': '-', 'captured_response_cookie': '-', 'termination_state': '----', 'actconn': '1', 'feconn': '1', 'beconn': '0', 'srvconn': '1', 'retries': '0', 'srv_queue': '0', 'backend_queue': '0', 'http_verb': 'GET', 'http_request': '/component---src-pages-index-js-4b15624544f97cf0bb8f.js', 'http_version': '1.1'},
        id='haproxyhttp-2',
    ),
    # haproxy_spec.rb HAPROXYHTTP BADREQ/NOSRV
    pytest.param(
        'HAPROXYHTTP',
        'Jul 18 17:05:30 localhost haproxy[8247]: 188.223.50.7:51940 [18/Jul/2011:17:05:24.339] http_proxy_ads http_proxy_ads/<NOSRV> -1/-1/-1/-1/6001 408 212 - - cR-- 100/89/0/0/0 0/0 "<BADREQ>"',
        {'syslog_timestamp': 'Jul 18 17:05:30', 'syslog_server': 'localhost', 'program': 'haproxy', 'pid': '8247', 'client_ip': '188.223.50.7', 'client_port': '51940', 'accept_date': '18/Jul/2011:17:05:24.339', 'haproxy_monthday': '18', 'haproxy_month': 'Jul', 'haproxy_year': '2011', 'haproxy_time': '17:05:24', 'haproxy_hour': '17', 'haproxy_minute': '05', 'haproxy_second': '24', 'haproxy_milliseconds': '339', 'frontend_name': 'http_proxy_ads', 'backend_name': 'http_proxy_ads', 'server_name': '<NOSRV>', 'time_request': '-1', 'time_queue': '-1', 'time_backend_connect': '-1', 'time_backend_response': '-1', 'time_duration': '6001', 'http_status_code': '408', 'bytes_read': '212', 'captured_request_cookie': '-', 'captured_response_cookie': '-', 'termination_state': 'cR--', 'actconn': '100', 'feconn': '89', 'beconn': '0', 'srvconn': '0', 'retries': '0', 'srv_queue': '0', 'backend_queue': '0'},
        id='haproxyhttp-3',
    ),
    # haproxy_spec.rb HAPROXYHTTPBASE connect line with host:port url
    pytest.param(
        'HAPROXYHTTPBASE',
        '127.0.0.1:34500 [04/Nov/2020:08:32:18.194] samplefrontend backendnodes/node1 0/0/0/0/0 405 501 - - ---- 1/1/0/1/0 0/0 "CONNECT localhost:8080 HTTP/1.1"',
        {'client_ip': '127.0.0.1', 'client_port': '34500', 'accept_date': '04/Nov/2020:08:32:18.194', 'haproxy_monthday': '04', 'haproxy_month': 'Nov', 'haproxy_year': '2020', 'haproxy_time': '08:32:18', 'haproxy_hour': '08', 'haproxy_minute': '32', 'haproxy_second': '18', 'haproxy_milliseconds': '194', 'frontend_name': 'samplefrontend', 'backend_name': 'backendnodes', 'server_name': 'node1', 'time_request': '0', 'time_queue': '0', 'time_backend_connect': '0', 'time_backend_response': '0', 'time_duration': '0', 'http_status_code': '405', 'bytes_read': '501', 'captured_request_cookie': '-', 'captured_response_cookie': '-', 'termination_state': '----', 'actconn': '1', 'feconn': '1', 'beconn': '0', 'srvconn': '1', 'retries': '0', 'srv_queue': '0', 'backend_queue': '0', 'http_verb': 'CONNECT', 'http_host': 'localhost:8080', 'port': '8080', 'http_version': '1.1'},
        id='haproxyhttpbase',
    ),
    # ingesthost: a tcplog line
    pytest.param(
        'HAPROXYTCP',
        'Sep 20 15:44:23 127.0.0.1 haproxy[25457]: 10.0.0.5:34556 [20/Sep/2013:15:44:23.123] front back/srv1 1/0/5007 212 -- 1/1/1/1/0 0/0',
        {'syslog_timestamp': 'Sep 20 15:44:23', 'syslog_server': '127.0.0.1', 'program': 'haproxy', 'pid': '25457', 'client_ip': '10.0.0.5', 'client_port': '34556', 'accept_date': '20/Sep/2013:15:44:23.123', 'haproxy_monthday': '20', 'haproxy_month': 'Sep', 'haproxy_year': '2013', 'haproxy_time': '15:44:23', 'haproxy_hour': '15', 'haproxy_minute': '44', 'haproxy_second': '23', 'haproxy_milliseconds': '123', 'frontend_name': 'front', 'backend_name': 'back', 'server_name': 'srv1', 'time_queue': '1', 'time_backend_connect': '0', 'time_duration': '5007', 'bytes_read': '212', 'termination_state': '--', 'actconn': '1', 'feconn': '1', 'beconn': '1', 'srvconn': '1', 'retries': '0', 'srv_queue': '0', 'backend_queue': '0'},
        id='haproxytcp',
    ),
    # java_spec.rb JAVASTACKTRACEPART
    pytest.param(
        'JAVASTACKTRACEPART',
        '  at com.sample.stacktrace.StackTraceExample.aMethod(StackTraceExample.java:42)',
        {'class': 'com.sample.stacktrace.StackTraceExample', 'method': 'aMethod', 'file': 'StackTraceExample.java', 'line': '42'},
        id='javastacktracepart',
    ),
    # java_spec.rb JAVASTACKTRACEPART generated file
    pytest.param(
        'JAVASTACKTRACEPART',
        '  at org.jruby.RubyMethod$INVOKER$i$call.call(RubyMethod$INVOKER$i$call.gen)',
        {'class': 'org.jruby.RubyMethod$INVOKER$i$call', 'method': 'call', 'file': 'RubyMethod$INVOKER$i$call.gen'},
        id='javastacktracepart-2',
    ),
    # java_spec.rb TOMCATLOG (weird) example format
    pytest.param(
        'TOMCATLOG',
        '2014-01-09 20:03:28,269 -0800 | ERROR | com.example.service.ExampleService - something compeletely unexpected happened...',
        {'timestamp': '2014-01-09 20:03:28,269 -0800', 'level': 'ERROR', 'class': 'com.example.service.ExampleService', 'logmessage': 'something compeletely unexpected happened...'},
        id='tomcatlog',
    ),
    # java_spec.rb CATALINALOG Tomcat 6.0, first line only (Elasticsearch's '.' stops at a newline)
    pytest.param(
        'CATALINALOG',
        'Jul 30, 2020 3:00:21 PM org.apache.coyote.http11.Http11Protocol init',
        {'timestamp': 'Jul 30, 2020 3:00:21 PM', 'class': 'org.apache.coyote.http11.Http11Protocol', 'logmessage': 'init'},
        id='catalinalog',
    ),
    # junos_spec.rb RT_FLOW1
    pytest.param(
        'RT_FLOW1',
        'Dec 17 08:05:30 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.10.10.2/53836->10.10.10.1/22 junos-ssh 10.10.10.2/53836->10.10.10.1/22 None None 6 log-host-traffic untrust junos-host 5 78(6657) 122(13305) 45 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/1.0 No ',
        {'event': 'RT_FLOW_SESSION_CLOSE', 'close-reason': 'session closed TCP FIN', 'src-ip': '10.10.10.2', 'src-port': '53836', 'dst-ip': '10.10.10.1', 'dst-port': '22', 'service': 'junos-ssh', 'nat-src-ip': '10.10.10.2', 'nat-src-port': '53836', 'nat-dst-ip': '10.10.10.1', 'nat-dst-port': '22', 'src-nat-rule-name': 'None', 'dst-nat-rule-name': 'None', 'protocol-id': '6', 'policy-name': 'log-host-traffic', 'from-zone': 'untrust', 'to-zone': 'junos-host', 'session-id': '5', 'sent': '6657', 'received': '13305', 'elapsed-time': '45'},
        id='rt_flow1',
    ),
    # junos_spec.rb RT_FLOW2
    pytest.param(
        'RT_FLOW2',
        'Dec 17 08:04:45 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.10.10.2/53836->10.10.10.1/22 junos-ssh 10.10.10.2/53836->10.10.10.1/22 None None 6 log-host-traffic untrust junos-host 5 N/A(N/A) ge-0/0/1.0',
        {'event': 'RT_FLOW_SESSION_CREATE', 'src-ip': '10.10.10.2', 'src-port': '53836', 'dst-ip': '10.10.10.1', 'dst-port': '22', 'service': 'junos-ssh', 'nat-src-ip': '10.10.10.2', 'nat-src-port': '53836', 'nat-dst-ip': '10.10.10.1', 'nat-dst-port': '22', 'src-nat-rule-name': 'None', 'dst-nat-rule-name': 'None', 'protocol-id': '6', 'policy-name': 'log-host-traffic', 'from-zone': 'untrust', 'to-zone': 'junos-host', 'session-id': '5'},
        id='rt_flow2',
    ),
    # junos_spec.rb RT_FLOW3
    pytest.param(
        'RT_FLOW3',
        'Sep 29 23:49:20 SRX-1 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.0.0.1/54924->192.168.1.1/53 junos-dns-udp 17(0) default-deny(global) trust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 UNKNOWN policy deny',
        {'event': 'RT_FLOW_SESSION_DENY', 'src-ip': '10.0.0.1', 'src-port': '54924', 'dst-ip': '192.168.1.1', 'dst-port': '53', 'service': 'junos-dns-udp', 'protocol-id': '17', 'policy-name': 'default-deny(global)', 'from-zone': 'trust', 'to-zone': 'trust'},
        id='rt_flow3',
    ),
    # maven_spec.rb MAVEN_VERSION (captures nothing)
    pytest.param(
        'MAVEN_VERSION',
        '1.1.0-SNAPSHOT',
        {},
        id='maven_version',
    ),
    # mcollective_spec.rb MCOLLECTIVE
    pytest.param(
        'MCOLLECTIVE',
        'I, [2010-12-29T11:15:32.321744 #11479]  INFO -- : mcollectived:33 The Marionette Collective 1.1.0 started logging at info level',
        {'timestamp': '2010-12-29T11:15:32.321744', 'pid': '11479', 'event_level': 'INFO'},
        id='mcollective',
    ),
    # ingesthost: an audit line
    pytest.param(
        'MCOLLECTIVEAUDIT',
        '2010-12-29T11:15:32.321744: reqid=7 caller=cert=admin agent=rpcutil action=ping',
        {'timestamp': '2010-12-29T11:15:32.321744'},
        id='mcollectiveaudit',
    ),
    # mongodb_spec.rb MONGO3_LOG standard/basic message
    pytest.param(
        'MONGO3_LOG',
        '2014-11-03T18:28:32.450-0500 I NETWORK [initandlisten] waiting for connections on port 27017',
        {'timestamp': '2014-11-03T18:28:32.450-0500', 'severity': 'I', 'component': 'NETWORK', 'context': 'initandlisten', 'message': 'waiting for connections on port 27017'},
        id='mongo3_log',
    ),
    # mongodb_spec.rb MONGO3_LOG missing component
    pytest.param(
        'MONGO3_LOG',
        '2015-02-24T18:17:47.148+0000 F -        [conn11] Got signal: 11 (Segmentation fault).',
        {'timestamp': '2015-02-24T18:17:47.148+0000', 'severity': 'F', 'component': '-', 'context': 'conn11', 'message': 'Got signal: 11 (Segmentation fault).'},
        id='mongo3_log-2',
    ),
    # mongodb_spec.rb MONGO3_LOG multiwords context
    pytest.param(
        'MONGO3_LOG',
        '2015-04-23T06:57:28.256+0200 I JOURNAL  [journal writer] Journal writer thread started',
        {'timestamp': '2015-04-23T06:57:28.256+0200', 'severity': 'I', 'component': 'JOURNAL', 'context': 'journal writer', 'message': 'Journal writer thread started'},
        id='mongo3_log-3',
    ),
    # mongodb_spec.rb MONGO3_LOG without context
    pytest.param(
        'MONGO3_LOG',
        '2015-04-23T07:00:13.864+0200 I CONTROL  Ctrl-C signal',
        {'timestamp': '2015-04-23T07:00:13.864+0200', 'severity': 'I', 'component': 'CONTROL', 'message': 'Ctrl-C signal'},
        id='mongo3_log-4',
    ),
    # ingesthost: a 2.x slow query line
    pytest.param(
        'MONGO_SLOWQUERY',
        'query test.users query: { name: "x" } ntoreturn:0 ntoskip:0 nscanned:10 keyUpdates:0 nreturned:1 reslen:100 120ms',
        {'database': 'test', 'collection': 'users', 'query': '{ name: "x" }', 'ntoreturn': '0', 'ntoskip': '0', 'nscanned': '10', 'nreturned': '1', 'duration': '120'},
        id='mongo_slowquery',
    ),
    # ingesthost: a 2.x line
    pytest.param(
        'MONGO_LOG',
        'Mar 11 14:03:18 [conn23] end connection 127.0.0.1:60222 (1 connection now open)',
        {'timestamp': 'Mar 11 14:03:18', 'component': 'conn23', 'message': 'end connection 127.0.0.1:60222 (1 connection now open)'},
        id='mongo_log',
    ),
    # nagios_spec.rb NAGIOSLOGLINE CURRENT HOST STATE
    pytest.param(
        'NAGIOSLOGLINE',
        '[1427925600] CURRENT HOST STATE: nagioshost;UP;HARD;1;PING OK - Packet loss = 0%, RTA = 2.24 ms',
        {'nagios_epoch': '1427925600', 'nagios_type': 'CURRENT HOST STATE', 'nagios_hostname': 'nagioshost', 'nagios_state': 'UP', 'nagios_statetype': 'HARD', 'nagios_statecode': '1', 'nagios_message': 'PING OK - Packet loss = 0%, RTA = 2.24 ms'},
        id='nagioslogline',
    ),
    # nagios_spec.rb NAGIOSLOGLINE CURRENT SERVICE STATE real-world example
    pytest.param(
        'NAGIOSLOGLINE',
        '[1427956600] CURRENT SERVICE STATE: prod-virtual-ESz06;check_vmfs_prod-PvDC2;CRITICAL;HARD;3;CRITICAL - /vmfs/volumes/prod-vsRoot - total: 8191.75 Gb - used: 7859.84 Gb (95%)- free: 331.90 Gb (5%)',
        {'nagios_epoch': '1427956600', 'nagios_type': 'CURRENT SERVICE STATE', 'nagios_hostname': 'prod-virtual-ESz06', 'nagios_service': 'check_vmfs_prod-PvDC2', 'nagios_state': 'CRITICAL', 'nagios_statetype': 'HARD', 'nagios_statecode': '3', 'nagios_message': 'CRITICAL - /vmfs/volumes/prod-vsRoot - total: 8191.75 Gb - used: 7859.84 Gb (95%)- free: 331.90 Gb (5%)'},
        id='nagioslogline-2',
    ),
    # nagios_spec.rb NAGIOSLOGLINE TIMEPERIOD TRANSITION
    pytest.param(
        'NAGIOSLOGLINE',
        '[1427925600] TIMEPERIOD TRANSITION: 24X7;-1;1',
        {'nagios_epoch': '1427925600', 'nagios_type': 'TIMEPERIOD TRANSITION', 'nagios_service': '24X7', 'nagios_unknown1': '-1', 'nagios_unknown2': '1'},
        id='nagioslogline-3',
    ),
    # nagios_spec.rb NAGIOSLOGLINE SERVICE ALERT
    pytest.param(
        'NAGIOSLOGLINE',
        '[1427925689] SERVICE ALERT: varnish;Varnish Backend Connections;CRITICAL;SOFT;1;Current value: 154.0, warn threshold: 10.0, crit threshold: 20.0',
        {'nagios_epoch': '1427925689', 'nagios_type': 'SERVICE ALERT', 'nagios_hostname': 'varnish', 'nagios_service': 'Varnish Backend Connections', 'nagios_state': 'CRITICAL', 'nagios_statelevel': 'SOFT', 'nagios_attempt': '1', 'nagios_message': 'Current value: 154.0, warn threshold: 10.0, crit threshold: 20.0'},
        id='nagioslogline-4',
    ),
    # nagios_spec.rb NAGIOSLOGLINE SERVICE NOTIFICATION
    pytest.param(
        'NAGIOSLOGLINE',
        '[1427950229] SERVICE NOTIFICATION: nagiosadmin;varnish;Varnish Backend Connections;CRITICAL;notify-service-by-email;Current value: 337.0, warn threshold: 10.0, crit threshold: 20.0',
        {'nagios_epoch': '1427950229', 'nagios_type': 'SERVICE NOTIFICATION', 'nagios_notifyname': 'nagiosadmin', 'nagios_hostname': 'varnish', 'nagios_service': 'Varnish Backend Connections', 'nagios_state': 'CRITICAL', 'nagios_contact': 'notify-service-by-email', 'nagios_message': 'Current value: 337.0, warn threshold: 10.0, crit threshold: 20.0'},
        id='nagioslogline-5',
    ),
    # nagios_spec.rb NAGIOSLOGLINE HOST NOTIFICATION
    pytest.param(
        'NAGIOSLOGLINE',
        '[1429878690] HOST NOTIFICATION: nagiosadmin;127.0.0.1;DOWN;host-notify-by-email;CRITICAL - Socket timeout after 10 seconds',
        {'nagios_epoch': '1429878690', 'nagios_type': 'HOST NOTIFICATION', 'nagios_notifyname': 'nagiosadmin', 'nagios_hostname': '127.0.0.1', 'nagios_state': 'DOWN', 'nagios_contact': 'host-notify-by-email', 'nagios_message': 'CRITICAL - Socket timeout after 10 seconds'},
        id='nagioslogline-6',
    ),
    # nagios_spec.rb NAGIOSLOGLINE SCHEDULE_HOST_DOWNTIME
    pytest.param(
        'NAGIOSLOGLINE',
        '[1334609999] EXTERNAL COMMAND: SCHEDULE_HOST_DOWNTIME;sputnik;1334665800;1334553600;1;0;120;nagiosadmin;test;',
        {'nagios_epoch': '1334609999', 'nagios_type': 'EXTERNAL COMMAND', 'nagios_command': 'SCHEDULE_HOST_DOWNTIME', 'nagios_hostname': 'sputnik', 'nagios_start_time': '1334665800', 'nagios_end_time': '1334553600', 'nagios_fixed': '1', 'nagios_trigger_id': '0', 'nagios_duration': '120', 'author': 'nagiosadmin', 'comment': ''},
        id='nagioslogline-7',
    ),
    # ingesthost: a pg_log prefix (DATESTAMP reads a 4-digit year's last two digits as the day)
    pytest.param(
        'POSTGRESQL',
        '2021-05-11 10:55:01 UTC postgres [local] 1234',
        {'timestamp': '21-05-11 10:55:01', 'user_id': 'postgres', 'connection_id': '[local]', 'pid': '1234'},
        id='postgresql',
    ),
    # rails3_spec.rb RAILS3 single-line log
    pytest.param(
        'RAILS3',
        'Started POST "/api/v3/internal/allowed" for 127.0.0.1 at 2015-08-05 11:37:01 +0200',
        {'verb': 'POST', 'request': '/api/v3/internal/allowed', 'clientip': '127.0.0.1', 'timestamp': '2015-08-05 11:37:01 +0200', 'context': ''},
        id='rails3',
    ),
    # rails3_spec.rb RAILS3 multi-line log (numbers stay strings: the legacy patterns give no type)
    pytest.param(
        'RAILS3',
        'Started GET "/puppet/postfix/notes?target_id=162&target_type=issue&last_fetched_at=1438695732" for 127.0.0.1 at 2015-08-05 07:40:22 +0200\nProcessing by Projects::NotesController#index as JSON\n  Parameters: {"target_id"=>"162", "target_type"=>"issue", "last_fetched_at"=>"1438695732", "namespace_id"=>"puppet", "project_id"=>"postfix"}\nCompleted 200 OK in 640ms (Views: 1.7ms | ActiveRecord: 91.0ms)',
        {'verb': 'GET', 'request': '/puppet/postfix/notes?target_id=162&target_type=issue&last_fetched_at=1438695732', 'clientip': '127.0.0.1', 'timestamp': '2015-08-05 07:40:22 +0200', 'controller': 'Projects::NotesController', 'action': 'index', 'format': 'JSON', 'params': '"target_id"=>"162", "target_type"=>"issue", "last_fetched_at"=>"1438695732", "namespace_id"=>"puppet", "project_id"=>"postfix"', 'context': '', 'response': '200', 'totalms': '640', 'viewms': '1.7', 'activerecordms': '91.0'},
        id='rails3-2',
    ),
    # redis_spec.rb REDISLOG
    pytest.param(
        'REDISLOG',
        '[4018] 14 Nov 07:01:22.119 * Background saving terminated with success',
        {'pid': '4018', 'timestamp': '14 Nov 07:01:22.119'},
        id='redislog',
    ),
    # redis_spec.rb REDISMONLOG simple command
    pytest.param(
        'REDISMONLOG',
        '1470637867.953466 [0 195.168.1.1:52500] "info"',
        {'timestamp': '1470637867.953466', 'database': '0', 'client': '195.168.1.1', 'port': '52500', 'command': 'info', 'params': ''},
        id='redismonlog',
    ),
    # redis_spec.rb REDISMONLOG two param command
    pytest.param(
        'REDISMONLOG',
        '1470637925.186681 [0 127.0.0.1:39404] "rpush" "my:special:key" "{\\"data\\":"cdr\\",\\"payload\\":\\"json\\"}"',
        {'timestamp': '1470637925.186681', 'database': '0', 'client': '127.0.0.1', 'port': '39404', 'command': 'rpush', 'params': '"my:special:key" "{\\"data\\":"cdr\\",\\"payload\\":\\"json\\"}"'},
        id='redismonlog-2',
    ),
    # redis_spec.rb REDISMONLOG variadic command
    pytest.param(
        'REDISMONLOG',
        '1470637875.777457 [15 195.168.1.1:52500] "intentionally" "broken" "variadic" "log" "entry"',
        {'timestamp': '1470637875.777457', 'database': '15', 'client': '195.168.1.1', 'port': '52500', 'command': 'intentionally', 'params': '"broken" "variadic" "log" "entry"'},
        id='redismonlog-3',
    ),
    # mcollective_spec.rb's line (a Ruby Logger line), read with RUBY_LOGGER
    pytest.param(
        'RUBY_LOGGER',
        'I, [2010-12-29T11:15:32.321744 #11479]  INFO -- : mcollectived:33 The Marionette Collective 1.1.0 started logging at info level',
        {'timestamp': '2010-12-29T11:15:32.321744', 'pid': '11479', 'loglevel': 'INFO', 'progname': '', 'message': 'mcollectived:33 The Marionette Collective 1.1.0 started logging at info level'},
        id='ruby_logger',
    ),
    # squid_spec.rb SQUID3 CONNECT sample
    pytest.param(
        'SQUID3',
        '1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 - HIER_DIRECT/53.140.206.134 -',
        {'timestamp': '1525344856.899', 'duration': '16867', 'client_address': '10.170.72.111', 'cache_result': 'TCP_TUNNEL', 'status_code': '200', 'bytes': '6256', 'request_method': 'CONNECT', 'url': 'logs.ap-southeast-2.amazonaws.com:443', 'user': '-', 'hierarchy_code': 'HIER_DIRECT', 'server': '53.140.206.134', 'content_type': '-'},
        id='squid3',
    ),
    # squid_spec.rb SQUID3 GET sample
    pytest.param(
        'SQUID3',
        '1525334330.556      3 120.65.1.1 TCP_REFRESH_MISS/200 2014 GET http://www.sample.com/hellow_world.txt public-user DIRECT/www.sample.com text/plain 902351708.872',
        {'timestamp': '1525334330.556', 'duration': '3', 'client_address': '120.65.1.1', 'cache_result': 'TCP_REFRESH_MISS', 'status_code': '200', 'bytes': '2014', 'request_method': 'GET', 'url': 'http://www.sample.com/hellow_world.txt', 'user': 'public-user', 'hierarchy_code': 'DIRECT', 'server': 'www.sample.com', 'content_type': 'text/plain'},
        id='squid3-2',
    ),
]


@pytest.mark.parametrize("pattern, line, expected", CASES)
def test_composite_pattern_captures(pattern, line, expected):
    captured = GrokExpression("%{" + pattern + "}", BANK).captures(line)
    assert captured == expected
    # 200 == 200.0 in Python: the types are checked on their own
    assert {k: type(v).__name__ for k, v in captured.items()} == {k: type(v).__name__ for k, v in expected.items()}


def test_the_cases_cover_every_family_with_forty_composites_or_more():
    patterns = {param.values[0] for param in CASES}
    assert {FAMILY_OF[p] for p in patterns} == set(ELASTICSEARCH_LEGACY_NAMES)
    composites = {p for p in patterns if "%{" in BANK[p]}
    assert len(composites) >= 40


NOT_MATCHING = [
    # firewalls_spec.rb CISCOFW106014: the legacy pattern wants a space before "(type"
    ("CISCOFW106014", "ASA-3-106014: Deny inbound icmp src fw111:10.10.10.10 dst fw111:10.10.10.11(type 8, code 0)"),
    # firewalls_spec.rb CISCOFW313005: the legacy pattern wants two spaces before "Original"
    ("CISCOFW313005", "No matching connection for ICMP error message: icmp src fw111:10.192.33.100 dst fw111:192.18.4.1 "
     "(type 3, code 3) on fw111 interface. Original IP payload: udp src 192.18.4.1/53 dst 8.8.8.8/10872."),
    # firewalls_spec.rb SFW2 alternate log-prefixes: only "SFW2-INext-" lines
    ("SFW2", "Mar 8 22:35:42 linux kernel: SuSE-FW-DROP-DEFAULT IN=ppp0 OUT= MAC= SRC=202.175.181.4 DST=64.238.136.187 "
     "LEN=48 TOS=0x00 PREC=0x00 TTL=113 ID=31151 DF PROTO=TCP SPT=3360 DPT=3127 WINDOW=65340 RES=0x00 SYN URGP=0 OPT (020405AC01010402)"),
    ("SFW2", "Jan 15 11:21:13 IKCSWeb kernel: SFW2-IN-ACC-RELATED IN=eth1 OUT= MAC=00:19:bb:2e:85:42:00:17:c5:d8:2e:2c:08:00 "
     "SRC=59.64.166.81 DST=207.194.99.122 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=48949 DF PROTO=TCP SPT=24093 DPT=22 WINDOW=137 RES=0x00 ACK URGP=0"),
    # netscreen_spec.rb: without the port/xlated/session_id/reason suffix, a legacy parse failure
    ("NETSCREENSESSIONLOG", 'Mar 18 17:56:52 192.168.56.11 lowly_lizard: NetScreen device_id=netscreen2 [Root]system-notification-00257(traffic): '
     'start_time="2009-03-18 16:07:06" duration=0 policy_id=320001 service=msrpc Endpoint Mapper(tcp) proto=6 '
     "src zone=Null dst zone=self action=Deny sent=0 rcvd=16384 src=21.10.90.125 dst=23.16.1.1"),
    # syslog_spec.rb: messages without a host name are a legacy parse failure
    ("SYSLOGLINE", "Jan 11 22:33:44 su: 'su root' failed for luser on /dev/pts/8"),
    # bacula_spec.rb BACULA_LOG_NOSTAT: legacy BACULA_HOST takes no dot
    ("BACULA_LOGLINE", "15-Dec 17:50 u22.com JobId 13:      Could not stat /var/lib/bacula/bacula.sql: ERR=No such file or directory"),
    # bacula_spec.rb BACULA_LOG_VOLUME_PREVWRITTEN: legacy BACULA_TIMESTAMP has no year
    ("BACULA_LOGLINE", "17-Jan-2003 16:45 home-sd: Volume test01 previously written, moving to end of data."),
    # exim_spec.rb delivery failed: only message arrivals are read
    ("EXIM", "2020-02-11 17:09:47 1j1Z2g-00Faoy-Uh ** admin@example.net R=virtual_aliases: No such person at this address."),
]


@pytest.mark.parametrize("pattern, line", NOT_MATCHING)
def test_lines_the_legacy_patterns_do_not_match(pattern, line):
    assert GrokExpression("%{" + pattern + "}", BANK).captures(line) is None


def test_cisco_tagged_syslog_anchors_at_a_line_start_as_oniguruma_does():
    # ingesthost: Oniguruma's "^" (Ruby syntax) is a line start, so the header
    # may be the second line of a message, but not the middle of one
    line = "<191>Jan 24 11:28:30.407: %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet0/0, changed state to down"
    expression = GrokExpression("%{CISCO_TAGGED_SYSLOG}", BANK)
    assert expression.captures("first line\n" + line) == {
        "syslog_pri": "191", "timestamp": "Jan 24 11:28:30.407", "ciscotag": "LINEPROTO-5-UPDOWN",
    }
    assert expression.captures("x " + line) is None


# -- rewritten repeats: the same matches, in linear time -----------------------------------------

# Elasticsearch's texts for these two nest one repeat in another: URIPROTO's is
# flattened by Oniguruma (its unnamed groups do not capture), Python's re would
# backtrack exponentially; UNIXPATH's backtracks exponentially in both. Ours
# repeat one character (or escape) at a time; they must match what the nested
# forms match, where they match it.
NESTED_FORMS = {
    "URIPROTO": (r"[A-Za-z]([A-Za-z0-9+\-.]+)+", "ab+.-1:/ "),
    "UNIXPATH": (r"(/([\w_%!$@:.,+~-]+|\\.)*)+", "/ab.\\-:x "),
}


@pytest.mark.parametrize("name", sorted(NESTED_FORMS))
@pytest.mark.parametrize("after", ["", "a", "/", " ", ":b", r"\.x"])
def test_flattened_repeats_match_as_the_nested_forms(name, after):
    nested, alphabet = NESTED_FORMS[name]
    ours = re.compile("(" + GrokExpression("%{" + name + "}", BANK).regex.pattern + ")" + after)
    theirs = re.compile("(" + nested + ")" + after)
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        a, b = ours.search(text), theirs.search(text)
        assert (a and (a.span(), a.group(1))) == (b and (b.span(), b.group(1))), text


# -- through the processor ---------------------------------------------------------------------

APACHE_LINE = (
    # GrokTests.testApacheLog (elasticsearch libs/grok)
    '31.184.238.164 - - [24/Jul/2014:05:35:37 +0530] "GET /logs/access.log HTTP/1.0" 200 69849 "http://8rursodiol.enjin.com" '
    '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.12785 '
    'YaBrowser/13.12.1599.12785 Safari/537.36" "www.dlwindianrailways.com"'
)


def _process(processor: dict, document: dict) -> dict:
    with Pipeline.from_definition({"processors": [processor]}, cache=False) as pipeline:
        return pipeline.process(document)


@pytest.mark.parametrize("options", [{}, {"ecs_compatibility": "disabled"}])
def test_pipeline_with_combinedapachelog(options):
    processor = {"grok": {"field": "message", "patterns": ["%{COMBINEDAPACHELOG}"], **options}}
    assert _process(processor, {"message": APACHE_LINE}) == {
        "message": APACHE_LINE,
        "clientip": "31.184.238.164",
        "ident": "-",
        "auth": "-",
        "timestamp": "24/Jul/2014:05:35:37 +0530",
        "verb": "GET",
        "request": "/logs/access.log",
        "httpversion": "1.0",
        "response": "200",
        "bytes": "69849",
        "referrer": '"http://8rursodiol.enjin.com"',
        "agent": '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.12785 '
        'YaBrowser/13.12.1599.12785 Safari/537.36"',
    }


def test_pipeline_with_typed_captures_and_a_replaced_message():
    # aws_spec.rb ELB_ACCESS_LOG (legacy): :int and :float captures
    elb = ('2014-02-15T23:39:43.945958Z my-test-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 '
           '200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1"')
    out = _process({"grok": {"field": "message", "patterns": ["%{ELB_ACCESS_LOG}"]}}, {"message": elb})
    assert out["clientport"] == 2817 and type(out["clientport"]) is int
    assert out["request_processing_time"] == 7.3e-05 and type(out["request_processing_time"]) is float
    assert out["urihost"] == "www.example.com:80" and out["port"] == "80" and out["path"] == "/"
    # httpd_spec.rb: HTTPD_ERRORLOG captures [message]; Elasticsearch replaces the field with it
    line = "[Mon Aug 31 16:27:04 2015] [error] [client 10.17.42.3] Premature end of script headers: example.com"
    out = _process({"grok": {"field": "message", "patterns": ["%{HTTPD_ERRORLOG}"]}}, {"message": line})
    assert out == {
        "message": "Premature end of script headers: example.com",
        "timestamp": "Mon Aug 31 16:27:04 2015",
        "loglevel": "error",
        "clientip": "10.17.42.3",
    }
