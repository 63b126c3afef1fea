"""`users`: the first admin from a script, then list, disable, reset; --json keeps English keys."""

from sqlmodel import select

from donor_registry.accounts.models import User
from donor_registry.db import make_engine, session_scope


def _stored(db_url, login):
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.login == login)).one()
    engine.dispose()
    return user


def test_the_first_admin_from_standard_input(cli_both, db_url):
    added = cli_both("users", "add", "Admin", "--role", "admin", "--password-stdin", "--json",
                     input="mật khẩu quản trị 1\n")
    assert added.exit_code == 0, added.stderr
    assert added.json() | {"created_at": None, "updated_at": None} == {
        "id": 1, "login": "admin", "role": "admin", "chapter_id": None, "disabled": False,
        "created_at": None, "updated_at": None}
    stored = _stored(db_url, "admin")
    assert stored.password_hash.startswith("$argon2id$") and "quản trị" not in stored.password_hash
    assert "mật khẩu" not in added.stdout


def test_the_password_prompt_asks_twice(cli):
    assert cli("chapters", "add", "national").exit_code == 0
    assert cli("chapters", "add", "province", "--parent", "VN", "--province", "92").exit_code == 0
    added = cli("users", "add", "lan", "--role", "coordinator", "--chapter", "VN-92",
                input="mật khẩu của Lan\nmật khẩu của Lan\n")
    assert added.exit_code == 0, added.stderr
    listed = cli("users", "list", "--json").json()
    assert [(u["login"], u["role"], u["chapter_id"]) for u in listed] == [("lan", "coordinator", 2)]


def test_bad_values_are_one_plain_line_and_change_nothing(cli):
    for args, said in [(("users", "add", "lan", "--role", "boss"), "chọn admin, coordinator hoặc viewer"),
                       (("users", "add", "lân", "--role", "viewer"), "tên đăng nhập 'lân'"),
                       (("users", "add", "lan", "--role", "viewer", "--chapter", "Hà Nội"), "Hà Nội"),
                       (("users", "disable", "nobody"), "không có người dùng 'nobody'")]:
        vi = ("--lang", "vi")
        result = cli(*vi, *args, "--password-stdin", input="mật khẩu đủ dài\n") if args[1] == "add" else cli(*vi, *args)
        assert result.exit_code == 1 and said in result.stderr and "Traceback" not in result.stderr
    short = cli("--lang", "vi", "users", "add", "lan", "--role", "viewer", "--password-stdin", input="ngắn\n")
    assert short.exit_code == 1 and "ít nhất 10 ký tự" in short.stderr
    assert cli("users", "list", "--json").json() == []


def test_disable_and_reset_password(cli, sqlite_url):
    cli("users", "add", "lan", "--role", "viewer", "--password-stdin", input="mật khẩu đủ dài\n")
    before = _stored(sqlite_url, "lan").password_hash
    assert cli("users", "reset-password", "LAN", "--password-stdin", input="mật khẩu mới đủ dài\n").exit_code == 0
    assert _stored(sqlite_url, "lan").password_hash != before
    assert cli("users", "disable", "lan", "--json").json()["disabled"] is True
    assert cli("users", "enable", "lan", "--json").json()["disabled"] is False
