/// Passwords of eight characters or more that top the published lists of leaked
/// passwords (lower case; shorter ones are refused by length already).
enum CommonPasswords {
    static let all: Set<String> = [
        "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd", "p@ssword",
        "12345678", "123456789", "1234567890", "12345678910", "0123456789", "87654321", "11111111",
        "88888888", "66666666", "99999999", "12341234", "11223344", "12344321", "123123123", "147258369", "987654321",
        "qwertyuiop", "qwerty123", "qwerty12", "qwertyui", "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "zaq12wsx", "asdfghjkl",
        "asdf1234", "zxcvbnm1", "abcd1234", "abc12345", "abcdefgh", "a1b2c3d4", "iloveyou", "iloveyou1", "sunshine",
        "princess", "football", "baseball", "welcome1", "welcome123", "trustno1", "superman", "starwars", "whatever",
        "computer", "michelle", "jennifer", "corvette", "mercedes", "liverpool", "chelsea1", "charlie1", "pokemon1",
        "letmein1", "letmein123", "changeme", "changeme1", "admin123", "admin1234", "administrator", "adminadmin",
        "root1234", "rootroot", "test1234", "testtest", "guest123", "default1", "secret123", "master123", "monkey123",
        "dragon123", "shadow123", "freedom1", "qwe123456", "1234qwer", "q1w2e3r4", "q1w2e3r4t5", "aa123456", "a123456789",
        "woaini1314", "5201314520", "1314520520", "zxcvbnm123", "password!", "passwort", "motdepasse", "contrasena",
    ]
}
