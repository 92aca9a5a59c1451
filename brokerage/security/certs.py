"""A local certificate authority and server certificates (PEM), made with `cryptography`.

For the local secure broker and HTTPS in development. In production, use certificates from
your own CA; every setting takes file paths, so nothing here is needed there.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .keys import write_private

VALID_DAYS = 825  # the longest validity clients accept for a server certificate


@dataclass(frozen=True)
class Issued:
    cert: Path  # PEM certificate
    key: Path  # PEM private key (PKCS#8, unencrypted, mode 0600)
    bundle: Path  # key + certificate + CA: a PEM keystore (Kafka's ssl.keystore.type=PEM)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "brokerage local"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _builder(subject: x509.Name, issuer: x509.Name,
             key: rsa.RSAPrivateKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS)))


def make_ca(directory: Path) -> tuple[Path, Path]:
    """ca.pem and ca.key in `directory` (made once; kept to sign more certificates)."""
    cert_path, key_path = directory / "ca.pem", directory / "ca.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = _key()
    name = _name("brokerage local CA")
    cert = (_builder(name, name, key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    write_private(key_path, _pem_key(key))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path.write_text(_pem(cert), encoding="utf-8")
    return cert_path, key_path


def issue(directory: Path, name: str, ca: tuple[Path, Path],
          hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Issued:
    """A server certificate for `hosts` signed by the CA: <name>.pem, .key and -bundle.pem."""
    ca_cert = x509.load_pem_x509_certificate(ca[0].read_bytes())
    ca_key = serialization.load_pem_private_key(ca[1].read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    key = _key()
    sans: list[x509.GeneralName] = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    cert = (_builder(_name(name), ca_cert.subject, key)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    out = Issued(directory / f"{name}.pem", directory / f"{name}.key",
                 directory / f"{name}-bundle.pem")
    out.cert.write_text(_pem(cert) + _pem(ca_cert), encoding="utf-8")
    write_private(out.key, _pem_key(key))
    write_private(out.bundle, _pem_key(key) + _pem(cert) + _pem(ca_cert))
    return out
