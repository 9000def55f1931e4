#!/usr/bin/perl
# Cross-checks the strict EPP test registry (internal/eppregistry, started by
# hack/eppregistry) with an independent EPP client nobody here wrote:
# Debian's libnet-epp-perl (Net::EPP::Simple, by CentralNic).
#
# Usage: perl hack/epp-crosscheck.pl DIR
#   DIR holds addr, ca.pem, client-registrar-a.pem and client-registrar-a.key
#   as written by `go run ./hack/eppregistry -dir DIR`.
#
# Prints each step; exits non-zero if any step had an unexpected result.
# EPP_DEBUG=1 also prints every frame on stderr.
use strict;
use warnings;
use Net::EPP::Simple;
use POSIX qw(strftime);

my $dir = shift @ARGV or die "usage: $0 DIR\n";
my $user = 'registrar-a';
my $pass = 'secret-a-123';

open(my $fh, '<', "$dir/addr") or die "cannot read $dir/addr: $!\n";
my $addr = <$fh>;
close($fh);
chomp($addr);
my ($host, $port) = split(/:/, $addr);

my $failures = 0;
sub step {
	my ($name, $ok, $detail) = @_;
	printf("%-4s %s%s\n", ($ok ? 'ok' : 'FAIL'), $name, (defined($detail) ? " ($detail)" : ''));
	$failures++ unless $ok;
	return $ok;
}
sub result {
	return sprintf('code %s: %s', $Net::EPP::Simple::Code // 'none', $Net::EPP::Simple::Error || $Net::EPP::Simple::Message || '');
}
sub finish {
	if ($failures) {
		print "crosscheck FAILED: $failures unexpected result(s)\n";
		exit 1;
	}
	print "crosscheck passed\n";
	exit 0;
}

# Mutual TLS: the registry's CA verifies the server, the account's client
# certificate (CN = clID) authenticates us. Net::EPP::Simple logs in inside
# new(), echoing the greeting's objURIs and extURIs.
my $epp = Net::EPP::Simple->new(
	host     => $host,
	port     => $port,
	user     => $user,
	pass     => $pass,
	key      => "$dir/client-$user.key",
	cert     => "$dir/client-$user.pem",
	verify   => 1,
	ca_file  => "$dir/ca.pem",
	timeout  => 10,
	load_config => 0,
	# EPP_DEBUG=1 prints every frame (C: client, S: server) on stderr.
	debug    => ($ENV{EPP_DEBUG} ? 1 : 0),
);
step('connect, greeting and login as ' . $user, defined($epp), result()) or finish();

my $greeting_uris = join(', ', map { $_->textContent } $epp->greeting->getElementsByTagNameNS('urn:ietf:params:xml:ns:epp-1.0', 'objURI'));
step('greeting offers the domain and contact services', $greeting_uris =~ /domain-1\.0/ && $greeting_uris =~ /contact-1\.0/, $greeting_uris);

my $domain  = "crosscheck-$$-" . time() . ".example";
my $contact = "cc$$";
$contact = substr($contact, 0, 16);

my $avail = $epp->check_domain($domain);
step("domain:check $domain is available", defined($avail) && $avail eq '1', 'avail=' . ($avail // 'undef') . '; ' . result());

my $created = $epp->create_contact({
	id         => $contact,
	postalInfo => {
		int => {
			name => 'Crosscheck Person',
			org  => 'Crosscheck Ltd',
			addr => {
				street => ['1 Example Street'],
				city   => 'Berlin',
				sp     => 'BE',
				pc     => '10115',
				cc     => 'DE',
			},
		},
	},
	voice    => '+49.301234567',
	fax      => '',
	email    => 'crosscheck@example.net',
	authInfo => 'contact-pw-123',
});
step("contact:create $contact", defined($created) && $Net::EPP::Simple::Code == 1000, result());

my %domain = (
	name       => $domain,
	period     => 1,
	registrant => $contact,
	contacts   => { admin => $contact, tech => $contact },
	authInfo   => 'domain-pw-123',
);
my $ok = $epp->create_domain(\%domain);
step("domain:create $domain", defined($ok) && $Net::EPP::Simple::Code == 1000, result());

$ok = $epp->create_domain(\%domain);
step('second domain:create of the same name is refused with 2302', !defined($ok) && ($Net::EPP::Simple::Code // 0) == 2302, result());

$avail = $epp->check_domain($domain);
step("domain:check $domain is no longer available", defined($avail) && $avail eq '0', 'avail=' . ($avail // 'undef'));

my $info = $epp->domain_info($domain);
my $exDate = ref($info) eq 'HASH' ? ($info->{exDate} // '') : '';
my $expectedYear = strftime('%Y', gmtime()) + 1;
step('domain:info exDate is one year ahead', $exDate =~ /^$expectedYear-/, "exDate=$exDate");
step('domain:info shows registrant, sponsor and authInfo to the sponsor',
	ref($info) eq 'HASH' && ($info->{registrant} // '') eq $contact && ($info->{clID} // '') eq $user && ($info->{authInfo} // '') eq 'domain-pw-123');

my $curExpDate = substr($exDate, 0, 10);
$ok = $epp->renew_domain({ name => $domain, cur_exp_date => $curExpDate, period => 1 });
step("domain:renew with curExpDate $curExpDate", defined($ok) && $Net::EPP::Simple::Code == 1000, result());

$info = $epp->domain_info($domain);
my $newExDate = ref($info) eq 'HASH' ? ($info->{exDate} // '') : '';
my $renewedYear = $expectedYear + 1;
step('exDate moved one year', $newExDate =~ /^$renewedYear-/ && substr($newExDate, 4) eq substr($exDate, 4), "exDate=$newExDate");

$ok = $epp->renew_domain({ name => $domain, cur_exp_date => $curExpDate, period => 1 });
step("stale domain:renew with the old curExpDate $curExpDate is refused with 2306", !defined($ok) && ($Net::EPP::Simple::Code // 0) == 2306, result());

$ok = $epp->logout;
step('logout', defined($ok));

finish();
