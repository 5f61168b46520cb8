// The bundled input policy. Terms are written the way people type them; the
// engine normalises both sides (case, accents, confusables, leetspeak, spacing),
// so no term needs obfuscated variants. `word*` matches any ending. Terms with
// Japanese characters match as substrings (Japanese has no spaces). Concepts are
// language-neutral groups: each holds every target language's words for one idea.
// Languages: English, Hindi (Devanagari and romanised), Spanish, Portuguese,
// French, German, Japanese, Indonesian.
import type { SafetyPolicy } from './engine.js';

// "shoot" and "stab" read as violence only with a person as the object ("shoot a photo" stays allowed).
const VIOLENT_VERBS = ['drowning', 'drowns', 'drown', 'aiming at', 'aims at', 'aiming a gun at', 'executing', 'execute', 'executes', 'lynching', 'lynch', 'shooting at', 'shoots at', 'shot at', 'firing at', 'fires at', 'shoot', 'shoots', 'shooting', 'shot', 'stab', 'stabs', 'stabbing', 'stabbed', 'punch', 'punches', 'kick', 'kicks', 'kicking', 'strangle', 'strangling', 'choke', 'choking', 'slap', 'slapping'];
const VICTIMS = ['a man', 'a woman', 'a child', 'a kid', 'a boy', 'a girl', 'a baby', 'a protester', 'protesters', 'a student', 'students', 'a civilian', 'civilians', 'a police officer', 'a cop', 'a person', 'people', 'a crowd', 'the crowd', 'his wife', 'her husband', 'his girlfriend', 'a prisoner', 'prisoners', 'someone', 'a teacher', 'a victim', 'an old man', 'an old woman', 'a stranger', 'strangers', 'him', 'her', 'them', 'his neighbor', 'a neighbor', 'a classmate', 'a passerby', 'passersby', 'a soldier', 'children', 'kids', 'a homeless man', 'a cashier', 'a driver', 'his classmates', 'her classmates', 'classmates', 'his teacher', 'his parents', 'his mother', 'his father', 'the students', 'schoolchildren', 'hostages', 'a hostage', 'the hostages', 'villagers', 'worshippers', 'the prisoners', 'women', 'men', 'his family', 'her family', 'police', 'the police', 'a journalist', 'journalists', 'a nurse', 'a doctor', 'a priest', 'a refugee', 'refugees', 'a pedestrian', 'pedestrians'];
// "beat" and "hit" only with a noun victim: "beat him at chess" stays allowed.
const BEATING_VERBS = ['beat', 'beats', 'beating', 'hit', 'hits', 'hitting', 'punching', 'kicking'];
const PRONOUNS = new Set(['him', 'her', 'them']);
const VIOLENT_PHRASES = [
  ...VIOLENT_VERBS.flatMap((verb) => VICTIMS.map((victim) => `${verb} ${victim}`)),
  ...BEATING_VERBS.flatMap((verb) => VICTIMS.filter((victim) => !PRONOUNS.has(victim)).map((victim) => `${verb} ${victim}`)),
];

const concepts: NonNullable<SafetyPolicy['concepts']> = {
  minor: {
    terms: [
      // more school-age words and inflections
      'kindergartner*', 'preschooler*', 'grade school*', 'little ones', 'schoolkid*', 'grundschulkind*', 'vorschulkind*', 'primaria', 'nene', 'bambina', 'pequena', 'pequeno', 'anak sd', 'murid sd', 'bocah sd', '少年少女', '小学', '女子小学生', '幼稚園児',
      
      '幼い', '小さい女の子', '小さな女の子', '幼稚園',
      'jkの', 'jk画像', '女子高校生', '制服',
      'secundaria', 'de secundaria', 'estudiante de secundaria', 'de primaria', 'alumna', 'alumnas', 'colegio', 'ensino fundamental', 'aluna', 'alunas', 'lyceenne*', 'collegien', 'schulerin*', 'smp', 'sma', 'anak sma', 'high schooler*', 'high school girl*', 'highschool girl*', 'highschooler*',
      'hijastra*', 'hijastro*', 'mi hija', 'mi hijo', 'enteada*', 'enteado*', 'minha filha', 'meu filho', 'ma fille', 'mon fils', 'meine tochter', 'mein sohn', 'stieftochter', 'anak perempuanku', 'anak tiriku', 'meri beti', 'mera beta', 'meri bhanji', 'stepdaughter', 'step daughter',
      'preschool*', 'pre school*', 'nursery school*', 'sweet sixteen', 'first grader*', 'second grader*', 'third grader*', 'fourth grader*', 'fifth grader*', 'sixth grader*', 'seventh grader*', 'eighth grader*', 'grader', 'graders', 'tots', 'tot', 'little one*', 'young child*', 'loli*',
      // en
      'child', 'children', 'childs', 'kid', 'kids', 'kiddie*', 'kiddo', 'minor', 'minors', 'underage*', 'under age', 'preteen*', 'pre teen*', 'tween', 'tweens', 'teen', 'teens', 'teenage*', 'young teen*', 'toddler*', 'infant*', 'baby', 'babies', 'newborn*', 'little girl*', 'little boy*', 'young girl*', 'young boy*', 'schoolgirl*', 'school girl*', 'schoolboy*', 'school boy*', 'elementary school*', 'middle school*', 'middleschool*', 'primary school*', 'grade schooler*', 'kindergarten*', 'girl scout*', 'boy scout*', 'little sister', 'little brother', 'my daughter', 'my son', 'prepubescent', 'pubescent', 'juvenile*', 'youngster*', 'child like', 'childlike', 'minor girl', 'jailbait',
      // es
      'nino', 'nina', 'ninos', 'ninas', 'ninito*', 'menor de edad', 'menores de edad', 'menores', 'adolescente*', 'nene', 'nena', 'nenas', 'chiquilla*', 'colegiala*', 'bebe', 'infantil', 'pequena nina', 'chamaca*', 'escolar*',
      // pt
      'crianca*', 'menina*', 'menino*', 'menor de idade', 'menores de idade', 'novinha*', 'novinho*', 'colegial*', 'garotinha*', 'garotinho*', 'pirralha*',
      // fr
      'enfant', 'enfants', 'fillette*', 'petite fille*', 'petit garcon*', 'petits garcons', 'mineure*', 'mineur', 'ado', 'ados', 'ecoliere*', 'collegienne*', 'gamine*', 'gamin',
      // de
      'kinder', 'kindes', 'kleinkind*', 'madchen', 'kleines madchen', 'minderjahrig*', 'teenager*', 'schulmadchen*', 'grundschuler*', 'schuler*', 'jugendliche*',
      // id
      'anak', 'anak anak', 'anak kecil', 'bocah', 'bocil', 'gadis kecil', 'di bawah umur', 'bawah umur', 'remaja', 'balita', 'bayi', 'anak sd', 'anak smp', 'siswi*', 'abg', 'gadis sekolah',
      // hi (Devanagari)
      'बच्चा', 'बच्चे', 'बच्ची', 'बच्चों', 'बच्चियों', 'छोटी लड़की', 'छोटी बच्ची', 'नाबालिग', 'किशोरी', 'स्कूली लड़की', 'स्कूल की लड़की', 'बालक', 'बालिका', 'शिशु', 'नन्ही', 'मासूम बच्ची',
      // hi (romanised)
      'bachcha', 'bacha', 'bachche', 'bacche', 'bache', 'bachchi', 'bachi', 'bacchi', 'chhoti ladki', 'choti ladki', 'chhoti bachi', 'choti bachi', 'nabalig', 'naabalig', 'school ki ladki', 'school wali ladki', 'kishori',
      // ja
      '子供', '子ども', 'こども', '児童', '幼女', '少女', '少年', '小学生', '中学生', '未成年', '幼児', '赤ちゃん', '女子高生', '女子中学生', '女児', '男児', 'ロリ', 'ょうじょ', '園児', 'キッズ', 'ジュニアアイドル',
    ],
    patterns: [
      // "12 year old", "14yo", "age 9", "aged 15", "14 años", "13 ans", "12 Jahre", "10 anos", "14 tahun", "12 saal", "14歳"
      '(?<![\\p{N}.])(?:[1-9]|1[0-7])\\s*(?:-\\s*)?(?:years?|yrs?|y\\s*[./]?\\s*o\\.?|year|yr)(?:\\s*-?\\s*old)?(?!\\p{L})',
      // ages written as words: "nine-year-old", "doce años", "treize ans", "zwölf Jahre", "sepuluh tahun", "baarah saal"
      '\\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)[\\s-]*(?:years?|yrs?)[\\s-]*old\\b',
      '\\b(?:uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|trece|catorce|quince|dieciseis|diecisiete|um|dois|quatro|sete|oito|nove|dez|onze|doze|treze|catorze|quinze|dezesseis|dezessete)\\s+(?:anos|años)\\b',
      '\\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|dix sept)\\s+ans\\b',
      '\\b(?:zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn|elf|zwolf|dreizehn|vierzehn|funfzehn|sechzehn|siebzehn)[\\s-]*(?:jahre?|jahrig\\w*)\\b',
      '\\b(?:dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|dua belas|tiga belas|empat belas|lima belas|enam belas|tujuh belas)\\s+tahun\\b',
      '\\b(?:das|gyarah|barah|baarah|terah|chaudah|pandrah|solah|satrah|aath|nau|saat|chhe)\\s+(?:saal|sal)\\b',
      '(?:दस|ग्यारह|बारह|तेरह|चौदह|पंद्रह|सोलह|सत्रह|आठ|नौ|सात|छह)\\s+(?:साल|वर्ष)',
      '(?<![\\p{N}.])(?:[1-9]|1[0-7])[\\s-]*(?:anos|anos de idade|años|ans|jahre?|jahrig\\w*|tahun|saal|sal|साल|वर्ष|歳|才|さい)(?!\\p{L})',
      '(?:\\bage|\\baged|\\bedad de|\\bde edad|\\bidade de|\\bage de|\\bagee de|\\balter von|\\bumur|\\busia|उम्र)\\s*:?\\s*(?:[1-9]|1[0-7])(?![\\p{N}.])',
      '(?:\\bgirl|\\bboy|\\bchica|\\bchico|\\bgarota|\\bgaroto|\\bfille|\\bgarcon|\\bgadis|\\bcowok|\\bcewek|\\bladki|\\bladka|लड़की|लड़का)\\s+(?:of|de|von|umur|usia)?\\s*(?:[1-9]|1[0-7])(?![\\p{N}.])',
    ],
  },
  sexual_explicit: {
    terms: [
      // slang and euphemisms for sex acts
      'vogeln', 'vogelt', 'boquete', 'boquetes', 'mamada', 'mamando', 'chupando', 'suce', 'sucer', 'suce un', 'fellation', 'sodomi*', 'nothing left to the imagination', 'every inch exposed', 'touching herself', 'touching himself', 'rubbing herself', 'playing with her breasts', 'mit ihren brusten', 'colmek', 'coli', 'sange', 'ngangkang', 'buceta', 'xoxota', 'pau duro', 'chatte', 'bite en erection', 'pussy', 'nackt', 'cachonda', 'culo', 'les tetas', 'le cul', 'a poil', 'चूत', 'लंड', 'ストリップ', '乳房', '陰部', '無修正', '股を開',
      
      'mostrando os seios', 'seios de fora', 'seios nus', 'mostrando os peitos', 'zeigt ihre bruste', 'deshabill*',
      'without pants', 'no pants', 'pantsless', 'without underwear', 'no underwear', 'without panties', 'no panties', 'bare bottom*', 'explicit drawing*', 'explicit art', 'explicit picture*', 'explicit scene*', 'explicit pic*', 'explicit video*', 'penetration', 'penetrating her', 'dick', 'dicks', 'orgy', 'orgies', 'clothes pulled off', 'pulled off her clothes', 'ripped off her clothes', 'tearing off her clothes',
      'people fucking', 'couple fucking', 'fucking on', 'fucking in', 'fuck scene', 'masturb*',
      'nus',
      'anal', 'butthole', 'spread her ass', 'spreading her ass', 'naked ass', 'bare ass', 'bare butt', 'kapde utaar*', 'kapde utar*', 'kapde utaro', 'with a horse sexually', 'bestiality', 'zoophilia',
      'erotique*', 'erotico*', 'erotica*', 'erotis*', 'erotisch*', 'pornografisk',
      'remove the clothes', 'remove clothing', 'remove her clothing', 'take off the clothes', 'without her clothes', 'clothes off', 'quitale la ropa', 'quitarle la ropa', 'tirar a roupa', 'tire a roupa', 'enleve ses vetements', 'zieh sie aus', 'lepas bajunya', 'kapde utaro', 'कपड़े उतार*',
      'pelada', 'pelado', 'peladas', 'pelados',
      'nackt', 'nackte', 'nackten', 'nackter', 'nacktes', 'xxx porn', 'xxx video*', 'xxx rated', 'xxx movie*', 'xxx photo*', 'orgy scene', 'sex orgy', 'payudara telanjang', 'foto payudara',
      // en
      'nude', 'nudes', 'nudity', 'naked', 'nakey', 'nekkid', 'nakid', 'nakd', 'nood', 'noods', 'porn*', 'pron', 'pr0n', 'nsfw', 'sexually explicit', 'explicit sex', 'explicit content', 'explicit image*', 'explicit photo*', 'sex', 'sexual', 'sexually', 'sexuali*', 'having sex', 'sex act*', 'intercourse', 'genital*', 'penis*', 'vagina*', 'vulva*', 'clitoris', 'boobs', 'boobies', 'tits', 'titties', 'nipple*', 'bare breast*', 'exposed breast*', 'naked breast*', 'breasts exposed', 'topless', 'bottomless', 'fully nude', 'no clothes', 'no clothing', 'without clothes', 'without any clothes', 'wearing nothing', 'undressed', 'undressing', 'undress', 'strip', 'stripping', 'stripper*', 'striptease', 'strip tease', 'orgasm*', 'masturbat*', 'blowjob*', 'blow job*', 'handjob*', 'hentai', 'erotic*', 'cum', 'cumshot*', 'ejaculat*', 'bukkake', 'gangbang*', 'threesome*', 'fucking her', 'fucking him', 'getting fucked', 'fucked', 'rule 34', 'r34', 'onlyfans', 'camgirl*', 'xrated', 'x rated', 'adult content', 'lewd', 'lewds', 'sexting', 'spread legs', 'legs spread', 'spreading her legs', 'butt naked', 'in the nude', 'skinny dipping', 'remove her clothes', 'remove his clothes', 'take off her clothes', 'take off his clothes', 'clothes removed', 'erection', 'dick pic*', 'pussy',
      // es
      'desnud*', 'porno', 'pornografia', 'pornografico', 'sin ropa', 'sexo', 'sexo explicito', 'tetas', 'pezones', 'follando', 'coño', 'en pelotas', 'encuerad*', 'encuerar', 'semidesnud*',
      // pt
      'nua', 'nuas', 'corpo nu', 'homem nu', 'menino nu', 'esta nu', 'totalmente nu', 'mulher pelada', 'menina pelada', 'toda pelada', 'fotos peladas', 'peladinha*', 'sem roupa', 'sem roupas', 'porno', 'pornografia', 'peitos', 'mamilos', 'transando', 'putaria', 'seminua*',
      // fr
      'nue', 'nues', 'tout nu', 'toute nue', 'corps nu', 'homme nu', 'enfant nu', 'a poil', 'pornographie', 'pornographique', 'sexe', 'sexe explicite', 'seins nus', 'seins', 'faire l amour', 'deshabillee*', 'sans vetements', 'sans aucun vetement',
      // de
      'nacktheit', 'nacktbild*', 'nacktfoto*', 'pornografie', 'pornografisch*', 'expliziter sex', 'titten', 'bruste', 'nackte bruste', 'nippel', 'ohne kleidung', 'entkleidet*', 'geschlechtsverkehr', 'ficken', 'fickt', 'oben ohne',
      // id
      'telanjang', 'bugil', 'pornografi', 'bokep', 'seks', 'hubungan seks', 'hubungan intim', 'tanpa busana', 'tanpa pakaian', 'toket', 'memek', 'kontol', 'mesum', 'cabul', 'ngentot', 'bercinta', 'setengah telanjang',
      // hi (Devanagari)
      'नंगी', 'नंगा', 'नंगे', 'नग्न', 'निर्वस्त्र', 'बिना कपड़ों', 'बिना कपड़े', 'अश्लील', 'सेक्स', 'पोर्न', 'चुदाई', 'नंगे स्तन', 'अधनंगी', 'संभोग', 'यौन',
      // hi (romanised)
      'nangi', 'nanga', 'nange', 'nangi photo', 'bina kapdon', 'bina kapde', 'bina kapdo', 'bina kapdon ke', 'ashleel', 'ashlil', 'chudai', 'adhnangi', 'nirvastra', 'sambhog', 'yaun',
      // ja
      '裸', '全裸', 'ヌード', 'はだか', 'エロ', 'エッチな', 'ポルノ', 'セックス', '性行為', '性器', 'おっぱい', '乳首', 'アダルト', '猥褻', 'わいせつ', '18禁', '成人向け', 'ハメ撮り', 'パンチラ', '半裸', '裸体', 'ヌーディ',
    ],
  },
  suggestive: {
    terms: [
      'foto intima', 'fotos intimas', 'intimate photo*', 'intimate pic*', 'foto intim', 'photo intime', 'intimfoto*', 'foto intim',
      'pin up girl*', 'pin up model*', 'pinup girl*',
      // en
      'sexy', 'seductive*', 'seduce', 'seducing', 'sultry', 'sensual*', 'provocative*', 'lingerie', 'underwear', 'panties', 'panty', 'thong', 'thongs', 'g string', 'bedroom eyes', 'come hither', 'pinup', 'boudoir', 'suggestive*', 'skimpy', 'revealing outfit*', 'revealing clothes', 'wet t shirt', 'fetish*', 'bdsm', 'bondage', 'kinky', 'arousing', 'aroused', 'horny', 'playboy', 'sexy pose', 'flirtatious', 'lustful', 'slutty', 'bikini model', 'pole dancing', 'lap dance', 'lap dancing', 'twerk*', 'bra and panties', 'teddy lingerie', 'stockings and garters', 'garter belt', 'cleavage', 'camel toe', 'upskirt', 'booty shorts',
      // es
      'sensual', 'seductora*', 'seductor', 'provocativa*', 'lenceria', 'ropa interior', 'tanga', 'poses sugerentes', 'pose sugerente', 'sugerente', 'lujuriosa*', 'caliente y sexy', 'calzones', 'bragas',
      // pt
      'roupa intima', 'roupas intimas', 'calcinha*', 'provocante', 'sedutora*', 'safada*', 'gostosa*', 'sugestiva*', 'pose sensual', 'sutia e calcinha',
      // fr
      'sensuelle*', 'sous vetements', 'culotte*', 'provocante*', 'seduisante*', 'aguicheuse*', 'pose lascive', 'lascive*', 'affriolante*',
      // de
      'sinnlich*', 'dessous', 'unterwasche', 'reizwasche', 'aufreizend*', 'verfuhrerisch*', 'lasziv*', 'freizugig*', 'hoschen', 'sexy pose',
      // id
      'seksi', 'pakaian dalam', 'celana dalam', 'pose menggoda', 'pakaian minim', 'erotis', 'sensual', 'bh dan celana dalam', 'baju seksi',
      // hi
      'सेक्सी', 'कामुक', 'उत्तेजक', 'अंतर्वस्त्र', 'लॉन्जरी', 'मादक', 'हॉट पोज़', 'ब्रा',
      'kamuk', 'uttejak', 'bra panty', 'hot pose', 'sexy pose', 'maadak',
      // ja
      'セクシー', '下着', 'ランジェリー', '誘惑', '色っぽい', 'エロい', 'グラビア', '官能', '悩殺', 'きわどい', '際どい', 'スク水',
    ],
  },
  /** Sexual abuse and exploitation words: with a minor they mean child sexual abuse. */
  abuse: {
    terms: [
      'sexual exploitation',
      'abuse', 'abused', 'abusing', 'molest*', 'grooming', 'groomed', 'rape', 'raped', 'raping', 'pedo*', 'paedo*', 'sexual abuse', 'fondl*', 'csam',
      'abuso', 'abusada', 'abusando', 'abusar', 'violacion', 'violada', 'violar', 'estupro', 'abusada sexualmente',
      'abus', 'abusee', 'viol', 'violee', 'attouchement*', 'pedophil*', 'exploitation sexuelle',
      'missbrauch*', 'missbraucht', 'vergewaltig*', 'kindesmissbrauch', 'padophil*', 'sexuelle ausbeutung',
      'pelecehan', 'dilecehkan', 'diperkosa', 'perkosa', 'pemerkosaan', 'pencabulan', 'dicabuli',
      'यौन शोषण', 'शोषण', 'बलात्कार', 'छेड़छाड़', 'दुर्व्यवहार', 'yaun shoshan', 'shoshan', 'balatkar', 'chhedchhad',
      '虐待', '性的虐待', '児童虐待', 'レイプ', '強姦', '猥褻行為', 'わいせつ行為',
    ],
  },
  nonconsent: {
    terms: [
      // states and places where consent is missing
      'lies limp', 'limp body', 'eyes closed and', 'sleeping woman', 'sleeping girl', 'sedated', 'sedada', 'dopada', 'dopado', 'droguee', 'betaubte', 'betaubten', 'bewusstlose', '寝ている', '眠っている', '泥酔', '酔わせ', '意識のない', 'mabuk berat', 'tidak sadar', 'nashe mein', 'नशे में', 'अचेत',
      
      'ko tropfen', 'k o tropfen', 'bewusstlos*', 'knockout drops',
      'ripped off her clothes', 'tearing off her clothes', 'pulled off her clothes', 'clothes pulled off', 'by a stranger', 'stalker', 'stalking', 'through her window', 'through the window', 'peeping through',
      'forcing himself', 'forced himself', 'forces himself',
      '裸にして', '脱がせて', '脱がす', '服を脱がせ',
 '寝込み', '意識のない', 'leaked by', 'for revenge', 'as revenge', 'to get revenge', 'revenge on her',
 'spiking', 'spiked her drink', 'spike her drink', 'spiked drink', 'roofie*', 'rohypnol', 'date rape drug*',
 'heimlich gefilmt*', 'heimlich fotografiert*', 'heimlich aufgenommen*', 'heimlich', 'secretly', 'secretamente', 'a escondidas', 'en secreto', 'secretement', 'en cachette', 'diam diam', 'chupke', 'こっそり', '隠し撮り',
 'spannerfoto*', 'spannervideo*',
 'without consent', 'without her consent', 'without his consent', 'without their consent', 'no consent', 'non consensual', 'nonconsensual', 'non con', 'noncon', 'against her will', 'against his will', 'forced', 'forcing her', 'forcibly', 'by force', 'hidden camera', 'hidden cam', 'spy cam*', 'spycam*', 'secretly filmed', 'secretly recorded', 'secretly photographed', 'secret photo*', 'without her knowing', 'without her knowledge', 'unaware she', 'while she sleeps', 'while she was asleep', 'while she is sleeping', 'asleep and', 'unconscious', 'passed out', 'drugged', 'blackmail*', 'voyeur*', 'peeping', 'peeping tom', 'creepshot*', 'creep shot*', 'downblouse', 'upskirt', 'changing room camera', 'locker room camera',
 'sin consentimiento', 'sin su consentimiento', 'contra su voluntad', 'a la fuerza', 'forzada', 'forzado', 'camara oculta', 'drogada', 'inconsciente',
 'sem consentimento', 'sem o consentimento', 'contra a vontade', 'a forca', 'forcada', 'camera escondida', 'drogada', 'inconsciente',
 'sans consentement', 'sans son consentement', 'contre son gre', 'de force', 'forcee', 'camera cachee', 'droguee', 'inconsciente',
 'ohne einwilligung', 'ohne zustimmung', 'ohne ihr wissen', 'gegen ihren willen', 'gewaltsam', 'gezwungen', 'versteckte kamera', 'betaubt', 'bewusstlos',
 'tanpa persetujuan', 'tanpa izin', 'dipaksa', 'paksa', 'kamera tersembunyi', 'diam diam difoto', 'direkam diam diam', 'dibius', 'pingsan', 'ngintip', 'mengintip',
 'बिना सहमति', 'बिना मर्जी', 'बिना अनुमति', 'जबरदस्ती', 'जबरन', 'छिपा कैमरा', 'छुपा कैमरा', 'चुपके से', 'बेहोश',
 'bina sahmati', 'bina marzi', 'bina marji', 'zabardasti', 'jabardasti', 'jabran', 'chhupa camera', 'chupa camera', 'chhipa camera', 'chupke se', 'behosh',
 '盗撮', '無理やり', '無理矢理', '同意なし', '同意のない', '隠しカメラ', '睡眠薬', '強制', 'リベンジポルノ', '痴漢',
    ],
  },
  real_person: {
    terms: [
      // more ways to point at a real person
      'my sister in law', 'mi cuñada', 'mi companera de clase', 'mi compañera de clase', 'minha cunhada', 'ma belle soeur', 'meine schwagerin', 'her linkedin', 'linkedin photo', 'her selfie', 'this selfie', 'dieser foto', 'foto pacar', 'pacar saya', 'foto guru', 'guru saya', 'foto teman', 'teman saya', 'meri classmate ki photo', 'classmate ki photo', 'girlfriend s photo', 'the girl from my', 'the girl at my', 'from my gym', 'from my school', 'from my office', '同級生', '元カノの', '写真の', 'この写真の',
      
      'helene fischer', 'heidi klum', 'lena meyer landrut', 'sophia thomalla', 'lea seydoux', 'marion cotillard', 'aya nakamura', 'penelope cruz', 'ester exposito', 'aitana', 'bruna marquezine', 'larissa manoela', 'luna maya',
      'facebook photo', 'instagram photo', 'instagram picture', 'her facebook', 'her instagram', 'from her profile', 'profile picture', 'girl next door', '橋本環奈', '新垣結衣', '石原さとみ', '広瀬すず', '浜辺美波', '有村架純', '綾瀬はるか', '長澤まさみ', '今田美桜', '白石麻衣', 'दीपिका पादुकोण', 'आलिया भट्ट', 'कैटरीना कैफ', 'प्रियंका चोपड़ा',
      'esta chica', 'esta mujer', 'esta foto', 'de la foto', 'esta imagen', 'essa garota', 'esta garota', 'essa mulher', 'desta foto', 'dessa foto', 'cette fille', 'cette femme', 'cette photo', 'dieses foto', 'diesem foto', 'dieses madchen', 'diese frau', 'foto ini', 'gadis ini', 'wanita ini', 'is photo', 'इस लड़की', 'इस फोटो', 'この写真', 'この女性', 'この子',
      'famous actress', 'actress named', 'hollywood actress', 'bollywood actress', 'tv actress', 'famous athlete', 'famous footballer', 'female athlete named', 'actriz famosa', 'atriz famosa', 'actrice celebre', 'actrice connue', 'bekannte schauspielerin', 'aktris terkenal', 'artis terkenal', 'मशहूर अभिनेत्री', 'बॉलीवुड अभिनेत्री', 'bollywood actress', '有名な女優', '人気女優', '女優の',
      'actriz famosa', 'modelo famosa', 'atriz famosa', 'beruhmte schauspielerin', 'beruhmte sangerin', 'mashhoor actress', 'मशहूर अभिनेत्री', 'famous model', 'famous rapper', 'famous youtuber', 'famous streamer', 'famous athlete',
      // generic
      'celebrity', 'celebrities', 'celeb', 'celebs', 'famous actress', 'famous actor', 'famous singer', 'famous pop singer', 'famous person', 'famous woman', 'pop star', 'popstar', 'pop singer', 'influencer', 'youtuber', 'tiktoker', 'instagram model', 'real person', 'real woman', 'real girl', 'this person', 'this woman', 'this girl', 'this photo', 'this picture', 'this image', 'uploaded photo', 'attached photo', 'from the photo', 'from this photo', 'her photo', 'my photo of', 'politician', 'president', 'prime minister', 'senator', 'congresswoman', 'news anchor', 'my classmate', 'my coworker', 'my co worker', 'my colleague', 'my boss', 'my ex', 'my ex girlfriend', 'my ex wife', 'my neighbor', 'my neighbour', 'my teacher', 'my sister in law', 'my friend s mom', 'my crush', 'k pop idol', 'kpop idol', 'idol singer', 'bollywood actress', 'tv host', 'princess kate',
      // names most often targeted by sexual deepfakes
      'taylor swift', 'scarlett johansson', 'emma watson', 'billie eilish', 'selena gomez', 'ariana grande', 'kim kardashian', 'kylie jenner', 'rihanna', 'beyonce', 'jennifer lawrence', 'gal gadot', 'margot robbie', 'zendaya', 'jenna ortega', 'emma stone', 'natalie portman', 'angelina jolie', 'megan fox', 'sydney sweeney', 'lady gaga', 'shakira', 'dua lipa', 'olivia rodrigo', 'sabrina carpenter', 'millie bobby brown', 'anya taylor joy', 'jennifer aniston', 'miley cyrus', 'katy perry', 'nicki minaj', 'cardi b', 'doja cat', 'priyanka chopra', 'deepika padukone', 'alia bhatt', 'katrina kaif', 'aishwarya rai', 'rashmika mandanna', 'shraddha kapoor', 'kareena kapoor', 'sunny leone', 'anushka sharma', 'kamala harris', 'hillary clinton', 'michelle obama', 'alexandria ocasio cortez', 'greta thunberg', 'elon musk', 'donald trump', 'joe biden', 'barack obama', 'narendra modi', 'vladimir putin', 'justin bieber', 'tom cruise', 'brad pitt', 'keanu reeves', 'timothee chalamet', 'harry styles', 'jungkook', 'blackpink', 'lisa blackpink', 'jennie kim', 'anitta', 'bad bunny', 'rosalia', 'karol g', 'ivete sangalo', 'lali esposito', 'mbappe', 'cristiano ronaldo', 'lionel messi', 'messi', 'neymar', 'virat kohli', 'shah rukh khan', 'salman khan', 'raisa andriana', 'ayu ting ting', 'isyana sarasvati', 'hashimoto kanna', 'aragaki yui',
      // es / pt / fr / de / id / hi / ja
      'celebridad', 'cantante famosa', 'persona real', 'mi companera de clase', 'mi compañera', 'mi jefa', 'mi ex', 'mi vecina', 'mi profesora',
      'cantora famosa', 'pessoa real', 'minha colega', 'minha ex', 'minha vizinha', 'minha professora',
      'celebrite', 'chanteuse', 'chanteuse celebre', 'personne reelle', 'ma collegue', 'mon ex', 'ma voisine', 'ma prof',
      'promi', 'promis', 'sangerin', 'echte person', 'meine kollegin', 'meine ex', 'meine nachbarin', 'meine lehrerin', 'mitschulerin',
      'artis', 'selebriti', 'seleb', 'penyanyi terkenal', 'orang asli', 'teman sekelasku', 'rekan kerjaku', 'mantanku', 'tetanggaku', 'guruku',
      'हीरोइन', 'प्रसिद्ध गायिका', 'सेलिब्रिटी', 'मेरी सहपाठी', 'मेरी पड़ोसन', 'मेरी टीचर', 'मेरी एक्स',
      'meri classmate', 'meri padosan', 'meri teacher', 'meri ex', 'bollywood heroine',
      '芸能人', '有名人', 'アイドル', '歌手', '実在の人物', '実在する', 'セレブ', 'タレント', '同級生', '元カノ', 'インフルエンサー',
    ],
  },
  deepfake_tool: {
    terms: [
      'remove the clothes', 'remove clothing', 'take off the clothes', 'clothes off', 'quitale la ropa', 'tire a roupa', 'enleve ses vetements', 'lepas bajunya', 'kapde utaro', 'कपड़े उतार*',
      'deepfake*', 'deep fake*', 'face swap*', 'faceswap*', 'face swapped', 'swap her face', 'swap his face', 'put her face on', 'put his face on', 'nudify*', 'undress app', 'undress ai', 'deepnude', 'deep nude', 'x ray clothes', 'see through her clothes', 'remove clothes', 'clothes remover', 'make her naked', 'make him naked',
      'ultrafalso', 'intercambio de cara', 'cambiar la cara', 'troca de rosto', 'trocar o rosto', 'hypertrucage', 'echange de visage', 'gesicht tauschen', 'gesichtstausch', 'ganti wajah', 'tukar wajah', 'wajah ditempel',
      'डीपफेक', 'चेहरा बदल', 'chehra badal', 'face badal', 'ディープフェイク', '顔を入れ替え', 'アイコラ', 'コラ画像', '脱がせ',
    ],
  },
  instructions: {
    terms: [
      // more how-to forms
      'how many', 'step by step', 'illustrated guide', 'illustrated instructions', 'labelled diagram', 'labeled diagram', 'annotated', 'exploded view', 'flowchart', 'what to mix', 'ready to print', 'zum sterben', 'wie viele', 'quantos', 'cuantos', 'cuantas', 'combien', 'berapa', 'kitne', 'kitni', '何錠', 'どれくらい', '何個',
      
      'methoden', 'methode', 'metodos', 'metodo', 'methodes', 'tarike', 'तरीके',
      'how deep', 'do i need to', 'the best', 'what s the best', 'which is the best', 'best rope', 'best knot', 'best pills',
      'what chemicals', 'which chemicals', 'household chemicals', 'can i mix', 'what can i',
      'tips', 'tips for', 'exact dose', 'dose of', 'dose needed', 'how much insulin',
      'la forma', 'forma mas', 'manera de', 'maneira de', 'forma de se', 'facon de', 'moyen de', 'meilleure facon', 'la meilleure facon', 'art und weise', 'cara mati', 'cara untuk', '育て方', '売り方', '入手方法', '買い方', 'explain how', 'explain',
      'yang benar', 'caranya', 'gimana cara', 'bagaimana', 'kaise', 'कैसे', 'como falsificar', 'como robar', 'como roubar', 'comment voler',
      'tabla', 'tabela', 'tableau', 'tabelle', 'tabel', 'chart', 'table of', 'melhor maneira', 'melhor forma', 'mejor manera', 'mejor forma', 'meilleure facon', 'meilleur moyen', 'beste weg', 'beste methode', 'cara terbaik', 'sabse accha tarika', 'sabse aasan tarika',
      'which pills', 'how many pills', 'how many', 'what dose', 'how much', 'cuantas pastillas', 'quantos comprimidos', 'combien de', 'wie viele', 'berapa banyak', 'kitni goliyan', 'कितनी गोलियां',
      'template*', 'printable', 'plantilla*', 'gabarit*', 'vorlage*',
      'how to', 'how do i', 'how do you', 'how can i', 'how would i', 'step by step', 'steps to', 'step 1', 'instruction*', 'tutorial*', 'guide', 'guide to', 'diagram*', 'blueprint*', 'schematic*', 'recipe*', 'manual', 'homemade', 'home made', 'diy', 'do it yourself', 'make your own', 'build your own', 'detailed plans', 'plans for', 'formula', 'ingredients', 'method for', 'methods', 'infographic*', 'cookbook', 'walkthrough', 'checklist', 'best way to', 'easiest way to', 'quickest way to', 'the best way', 'ways to', 'teach me',
      'como hacer', 'como fabricar', 'como construir', 'como se hace', 'paso a paso', 'instrucciones', 'guia', 'diagrama', 'planos', 'receta', 'casero', 'casera', 'hecho en casa', 'manual de',
      'como fazer', 'como construir', 'como montar', 'passo a passo', 'instrucoes', 'guia', 'receita', 'caseiro', 'caseira', 'feito em casa',
      'comment faire', 'comment fabriquer', 'comment construire', 'etape par etape', 'tutoriel', 'schema', 'plans de', 'recette', 'fait maison', 'artisanal*', 'mode d emploi',
      'anleitung*', 'schritt fur schritt', 'wie man', 'wie baue ich', 'bauanleitung*', 'bauplan*', 'schaltplan*', 'rezept*', 'selbstgebaut*', 'selbst bauen', 'selber bauen', 'selber machen', 'diagramm',
      'cara membuat', 'cara merakit', 'cara bikin', 'langkah demi langkah', 'langkah langkah', 'petunjuk', 'panduan', 'skema', 'resep', 'rakitan', 'buatan sendiri', 'bagaimana cara',
      'कैसे बनाएं', 'कैसे बनाये', 'कैसे बनाते', 'कैसे बनाएँ', 'बनाने का तरीका', 'बनाने की विधि', 'चरण दर चरण', 'निर्देश', 'विधि', 'तरीका', 'आरेख', 'कैसे करें', 'कैसे करे',
      'kaise banaye', 'kaise banaen', 'kaise banate', 'kaise banayein', 'banane ka tarika', 'banane ki vidhi', 'tarika', 'kaise kare', 'kaise karein', 'vidhi',
      '作り方', '作る方法', '製造方法', '手順', '設計図', '図解', 'レシピ', '方法', '自作', 'やり方', 'マニュアル', '仕方',
    ],
  },
  construct: {
    terms: [
      // growing, printing and selling
      'plant', 'plantar', 'cultivar', 'cultiver', 'anbauen', 'menanam', 'ugana', 'print', 'imprimir', 'imprimer', 'drucken', 'mencetak', 'cetak',
      
      'grow', 'growing', 'extract', 'extracting', 'extraction',
      'banaye', 'banayen', 'banaen', 'बनाएं', 'बनाये', 'बनाएँ',
      'cocinar', 'cocinando', 'cozinhar', 'cozinhando', 'cuisiner', 'kochen', 'masak', 'memasak',
      'build', 'builds', 'building', 'make', 'makes', 'making', 'assembl*', 'construct*', 'manufactur*', 'craft', 'crafting', 'synthesi*', 'produce', 'producing', 'cook', 'cooking', 'rig', 'rigging', 'wiring', 'packing', 'prepare', 'preparing', '3d print*', 'improvis*',
      'fabricar', 'fabricando', 'construir', 'construyendo', 'armar', 'armando', 'hacer', 'preparar', 'montar', 'montando', 'fazer', 'fazendo', 'fabriquer', 'fabriquant', 'construire', 'assembler', 'bauen', 'baut', 'herstellen', 'basteln', 'zusammenbauen', 'membuat', 'merakit', 'bikin', 'meracik', 'बनाना', 'बनाने', 'बनाते', 'बनाओ', 'banane', 'banate', 'banao', 'banaana', '作る', '作り', '製造', '組み立て', '製作',
    ],
  },
  /** "How to <verb>" in languages that put the verb after the question word: "cómo falsificar", "comment fabriquer", "cara merakit". */
  instructions_verb: {
    terms: [],
    patterns: ['\\bcomo\\s+(?:se\\s+)?\\p{L}+(?:ar|er|ir|arse|erse|irse)\\b', '\\bcomment\\s+(?:se\\s+|s\\s+)?\\p{L}+(?:er|ir|re)\\b', '\\bcara\\s+(?:me|ber|men|mem|meng|meny|di)\\p{L}+', '\\bwie\\s+(?:\\p{L}+\\s+)?man\\b'],
  },
  explosive: {
    terms: [
      'granada', 'granadas', 'bombe', 'bomben',
      'pipe bam', 'bam banane', 'bam kaise', 'desi bam',
      'bomb', 'bombs', 'pipe bomb*', 'nail bomb*', 'car bomb*', 'dirty bomb*', 'fertilizer bomb*', 'pressure cooker bomb*', 'letter bomb*', 'ied', 'ieds', 'improvised explosive*', 'explosive*', 'grenade*', 'molotov*', 'napalm', 'detonator*', 'detonation cord', 'dynamite', 'tnt', 'c4', 'semtex', 'thermite', 'tatp', 'ammonium nitrate', 'suicide vest*', 'landmine*', 'land mine*', 'black powder', 'gunpowder', 'incendiary device*', 'firebomb*', 'claymore mine',
      'bomba', 'bombas', 'bomba casera', 'explosivo*', 'granada de mano', 'coctel molotov', 'detonador*', 'dinamita', 'bombe artisanale', 'explosif*', 'engin explosif', 'detonateur*', 'sprengstoff*', 'rohrbombe*', 'sprengsatz*', 'splitterbombe*', 'zunder', 'bahan peledak', 'peledak', 'bom', 'bom rakitan', 'bom pipa', 'granat', 'बम', 'विस्फोटक', 'पाइप बम', 'visphotak', 'visfotak', 'pipe bam', '爆弾', '爆発物', '爆薬', '手榴弾', '火炎瓶', '起爆装置', 'パイプ爆弾',
    ],
  },
  weapon: {
    terms: [
      'arma caseira', 'arma casera', 'arme artisanale', 'senjata rakitan', 'selbstgebaute waffe', 'arma', 'armas',
      'gun', 'guns', 'firearm*', 'rifle*', 'pistol*', 'handgun*', 'shotgun*', 'revolver*', 'ak47', 'ak 47', 'ar15', 'ar 15', 'assault rifle*', 'machine gun*', 'submachine gun*', 'uzi', 'glock', 'ammunition', 'crossbow', 'switchblade', 'flamethrower*',
      'arma de fuego', 'armas de fuego', 'pistola*', 'fusil*', 'escopeta*', 'silenciador*', 'arma de fogo', 'armas de fogo', 'espingarda*', 'arme a feu', 'armes a feu', 'fusil d assaut', 'silencieux', 'schusswaffe*', 'gewehr*', 'pistole*', 'schalldampfer*', 'senjata api', 'senapan', 'pistol rakitan', 'senpi', 'बंदूक', 'पिस्तौल', 'कट्टा', 'तमंचा', 'bandook', 'banduk', 'pistaul', 'katta', 'tamancha', '銃', '拳銃', 'ライフル', '散弾銃', '機関銃', 'サプレッサー', '3dプリンター銃',
    ],
  },
  /** Parts and conversions whose only use is an illegal or untraceable firearm. */
  weapon_mod: {
    terms: [
      'to automatic', 'semi auto to', 'make it automatic', 'convert to automatic', 'converting to full auto','ghost gun*', 'zip gun*', 'untraceable gun*', 'silencer*', 'suppressor*', 'auto sear', 'bump stock*', 'full auto', 'fully automatic', '80 lower', 'solvent trap*', 'lower receiver*', 'switch for glock', 'glock switch', 'silenciador*', 'silencieux', 'schalldampfer*', 'peredam suara', 'サプレッサー'],
  },
  /** Who a stereotype is about (adjectives and singular nouns; the plural groups are protected_group). */
  group_adj: {
    terms: ['muslim', 'jewish', 'jew', 'black man', 'black woman', 'black person', 'mexican', 'asian', 'chinese', 'arab', 'gay', 'trans', 'transgender', 'hindu', 'sikh', 'indian', 'african', 'gypsy', 'islamic', 'judio', 'judia', 'musulman', 'musulmana', 'judeu', 'muculmano', 'juif', 'juive', 'jude', 'judin', 'muslim', 'yahudi', 'मुस्लिम', 'यहूदी', 'muslim ki', 'ユダヤ', 'イスラム', '黒人'],
  },
  stereotype: {
    terms: ['caricature*', 'hook nose*', 'hooked nose', 'big nose', 'stereotypical', 'racist', 'offensive', 'blackface', 'slanted eyes', 'slant eyes', 'terrorist', 'bomber', 'greedy', 'money grubbing', 'caricatura*', 'karikatur*', 'कार्टून', '風刺画'],
  },
  alive_torture: {
    terms: ['burning', 'burned', 'burnt', 'burns', 'skinning', 'skinned', 'flaying', 'flayed', 'quemando', 'quemado', 'queimando', 'queimado', 'brulant', 'brule', 'verbrennen', 'verbrannt', 'membakar', 'dibakar', 'जला', 'जलाते', 'jala', 'jalate', '焼か', '焼く'],
  },
  alive: {
    terms: ['alive', 'vivo', 'viva', 'vivos', 'vivant', 'vivante', 'vif', 'lebendig', 'hidup hidup', 'zinda', 'जिंदा', '生きたまま'],
  },
  gore_adj: {
    terms: [
      // more gore adjectives
      'charred', 'burnt to a crisp', 'carbonizad*', 'carbonise*', 'verkohlt*', 'hangus', 'jale hue', 'जले हुए', '焼け焦げた',
      'mutilated', 'mangled', 'dismembered', 'disfigured', 'decomposing', 'decomposed', 'rotting', 'mutilad*', 'descuartizad*', 'en descomposicion', 'em decomposicao', 'apodrecendo', 'mutile', 'mutilee', 'en decomposition', 'verstummelt*', 'verwest*', 'zerstuckelt*', 'dimutilasi', 'termutilasi', 'membusuk', 'hancur', 'सड़ी', 'सड़ा', 'क्षत विक्षत', 'sadi hui', 'kshat vikshat', '腐乱', 'バラバラ'],
  },
  corpse_word: {
    terms: ['corpse*', 'body', 'bodies', 'cuerpo', 'cuerpos', 'corpo', 'corpos', 'corps', 'cadaver*', 'cadavre*', 'leiche*', 'mayat', 'jenazah', 'laash', 'lash', 'शव', 'लाश', '死体', '遺体'],
  },
  gore_verb: {
    terms: [
      // spilling out in more languages
      'fuera', 'afuera', 'de fuera', 'pra fora', 'para fora', 'dehors', 'heraus', 'raus', 'terburai', 'keluar', 'bahar', 'बाहर', '飛び出', 'splattered', 'splattered on',
      'eating', 'devouring', 'ripping out', 'ripped out', 'tearing out', 'torn out', 'pulling out', 'spilling out', 'hanging out of', 'gushing', 'exposed', 'comiendo', 'arrancando', 'devorando', 'comendo', 'arrancando', 'mangeant', 'arrachant', 'frisst', 'herausgerissen', 'memakan', 'खाते', 'खा रहा', 'khata', 'kha raha', '食べ', '引きずり出', 'はみ出'],
  },
  gore_inner: {
    terms: [
      // more inner-body words
      'sesos', 'miolos', 'cervelle', 'hirn', 'gehirn', 'otak', 'bheja', 'दिमाग', '脳みそ', 'guts', 'tripas', 'tripes', 'gedarm', 'isi perut',
      'intestines', 'entrails', 'innards', 'viscera', 'organs', 'human flesh', 'brains', 'intestinos', 'visceras', 'entranas', 'intestins', 'entrailles', 'gedarme', 'eingeweide', 'usus', 'jeroan manusia', 'आंतें', 'आंत', 'aant', 'aantein', '内臓', '腸', '臓物'],
  },
  cbrn: {
    terms: [
      'nerve agent*', 'nerve gas', 'sarin', 'vx gas', 'ricin', 'anthrax', 'mustard gas', 'chlorine gas', 'chemical weapon*', 'bioweapon*', 'biological weapon*', 'bio weapon*', 'nuclear bomb*', 'atomic bomb*', 'nuclear weapon*', 'poison gas', 'toxin weapon', 'weaponized virus', 'botulinum', 'cyanide gas', 'zyklon',
      'gas nervioso', 'arma quimica', 'armas quimicas', 'arma biologica', 'gas sarin', 'ricina', 'arma nuclear', 'bomba atomica', 'arme chimique', 'armes chimiques', 'arme biologique', 'chemiewaffe*', 'biowaffe*', 'nervengas', 'atombombe', 'senjata kimia', 'senjata biologis', 'gas saraf', 'रासायनिक हथियार', 'जैविक हथियार', 'परमाणु बम', 'rasayanik hathiyar', 'jaivik hathiyar', '化学兵器', '生物兵器', 'サリン', '神経ガス', '核爆弾',
    ],
  },
  weapon_harm: {
    terms: [
      'without a background check', 'buy a gun illegally', 'illegally buy', 'black market gun*', 'buy an untraceable',
      'kill someone', 'kill a person', 'kill people', 'kill my', 'murder someone', 'murder my', 'poison someone', 'poison my', 'poison a person', 'get away with murder', 'hide a body', 'dispose of a body', 'untraceable poison', 'undetectable poison', 'hurt someone', 'attack a crowd', 'mass casualty', 'maximum casualties', 'shoot up a school', 'kidnap a child', 'kidnap someone',
      'matar a alguien', 'envenenar a alguien', 'esconder un cadaver', 'matar alguem', 'envenenar alguem', 'esconder um corpo', 'tuer quelqu un', 'empoisonner quelqu un', 'cacher un corps', 'jemanden toten', 'jemanden vergiften', 'eine leiche verstecken', 'membunuh orang', 'meracuni orang', 'menyembunyikan mayat', 'किसी को मारने', 'किसी को जहर', 'लाश छुपाने', 'kisi ko maarne', 'kisi ko zehar', 'laash chupane', '人を殺す', '毒殺', '死体を隠す',
    ],
  },
  drug: {
    terms: [
      // street names and slang
      'weed to smoke', 'codeine', 'kokain', 'xtc', 'speed pills', 'charas', 'afeem',
      
      // more drug names
      'cannabis', 'marijuana', 'maconha', 'marihuana', 'weed to sell', 'pills to sell', 'nashili dawa', 'नशीली दवा', 'नशीली दवाई', 'drugs', 'droga', 'drogas', 'drogue', 'drogen', 'narkotika', 'obat terlarang', 'ドラッグ', 'マリファナ',
      
      'maconha sintetica', 'synthetic cannabis', 'synthetic marijuana', 'drogen',
      'crack de cocaina', 'hacer crack', 'fazer crack', 'cocinar crack', 'cook crack', 'make crack', 'lanca perfume',
      'magic mushrooms', 'psilocybin', 'shrooms', 'oxycodone', 'oxy', 'percocet', 'xanax', 'adderall', 'narkoba', 'putau',
      'meth', 'methamphetamine', 'crystal meth', 'heroin', 'cocaine', 'crack cocaine', 'fentanyl', 'lsd', 'mdma', 'ecstasy pills', 'ketamine', 'ghb', 'opium', 'dmt', 'pcp', 'psilocybin extract', 'amphetamine*', 'illegal drugs',
      'metanfetamina', 'heroina', 'cocaina', 'fentanilo', 'metanfetamina', 'cocaina', 'methamphetamine', 'drogue*', 'heroin', 'kokain', 'sabu', 'sabu sabu', 'ganja', 'putaw', 'shabu', 'नशीले पदार्थ', 'हेरोइन', 'कोकीन', 'चरस', 'charas', 'afeem', '覚醒剤', '覚せい剤', 'ヘロイン', 'コカイン', '麻薬', 'シャブ', '大麻',
    ],
  },
  illicit_act: {
    terms: [
      // more fraud, theft and trafficking words
      'skim credit card*', 'skimming credit card*', 'skim cards', 'card skimming', 'atm skimmer*', 'fake passport*', 'forged passport*', 'passaporte falso', 'pasaporte falso', 'faux passeport', 'gefalschter reisepass', 'paspor palsu', 'illegal guns', 'armas ilegales', 'armes illegales', 'illegale waffen', 'senjata ilegal', 'sin licencia', 'without a license', 'sem licenca', 'sans permis', 'ohne waffenschein', 'tanpa izin',
      
      '*diebstahl',
      'rob houses', 'rob a', 'robbing a', 'rob people', 'robbing people', 'rob banks', 'burglary', 'burglarize', 'burglarizing', 'break into houses',
      'fake vaccination card*', 'fake vaccine card*', 'fake certificate*', 'fake diploma*', 'forged certificate*', 'fake document*', 'steal it', 'bypass a car', 'car immobilizer', 'bypass the alarm',
      'forge a prescription', 'forged prescription', 'fake prescription', 'forge a doctor*', 'forge a signature', 'forging a signature', 'forged signature', 'stealing credit card*', 'steal credit card*', 'credit card numbers', 'clonar', 'clonar cartao', 'clone a credit card', 'card cloning', 'cloner une carte',
      'ladendiebstahl', 'diebstahl', 'stehlen', 'klauen', 'robar en tiendas', 'robar', 'furtar', 'roubar', 'mencuri', '盗む',
      'hotwir*',
      'fake id', 'fake ids', 'fake id card*',
      'counterfeit*', 'fake ids', 'fake passport*', 'forged passport*', 'forged id', 'forged document*', 'fake driver s license', 'fake drivers license', 'fake banknote*', 'fake money', 'launder money', 'money laundering', 'shoplift*', 'pickpocket*', 'hot wire a car', 'steal a car', 'steal a', 'stealing a', 'break into a house', 'break into a car', 'break into', 'pick a lock to', 'credit card fraud', 'card skimmer*', 'skimming device', 'phishing', 'hack into', 'hacking into', 'hack someone', 'ransomware', 'keylogger', 'smuggl*', 'tax evasion', 'evade taxes', 'evade police', 'buy drugs', 'sell drugs', 'dealing drugs', 'grow weed illegally', 'scam people', 'ponzi scheme', 'identity theft', 'steal identity',
      'dinero falso', 'billetes falsos', 'pasaporte falso', 'documentos falsos', 'identificacion falsa', 'falsificar', 'robar un coche', 'robar un auto', 'entrar a robar', 'lavado de dinero', 'hackear', 'dinheiro falso', 'notas falsas', 'passaporte falso', 'documento falso', 'falsificar', 'roubar um carro', 'lavagem de dinheiro', 'hackear', 'faux billets', 'fausse monnaie', 'faux passeport', 'faux papiers', 'voler une voiture', 'cambrioler', 'blanchir de l argent', 'pirater', 'falschgeld', 'gefalschter pass', 'gefalschte ausweis*', 'auto stehlen', 'geldwasche', 'uang palsu', 'paspor palsu', 'ktp palsu', 'mencuri mobil', 'membobol', 'pencucian uang', 'meretas', 'नकली नोट', 'नकली पासपोर्ट', 'चोरी', 'कार चुराने', 'हैक', 'nakli note', 'nakli passport', 'chori', 'car churane', 'hack karna', '偽札', '偽造', '偽造パスポート', '万引き', '車を盗む', 'ハッキング', 'マネーロンダリング',
    ],
  },
  violent_act: {
    terms: [
      // verb stems per language (the engine undoes the endings)
      'golpea', 'golpeando', 'apunala', 'dispara contra', 'mata a', 'ahorca', 'estrangula', 'espanca', 'esfaqueia', 'mata o', 'mata a', 'estrangula', 'frappe', 'tabasse', 'tue', 'abat', 'egorge', 'etrangle', 'schlagt', 'verprugelt', 'totet', 'erschiesst', 'wurgt', 'ersticht', 'bunuh', 'tusuk', 'pukul', 'tembak', 'bacok', 'aniaya', 'keroyok', 'cekik', 'gorok', 'chaku se', 'goli maar di', 'peet', 'maar daala', 'चाकू मार', 'गोली मार', 'पीट रहा', 'मार डाला', '殺して', '刺され', '殴られ', '撃たれ', '首を絞め', 'strangling', 'bludgeoning', 'pistol whipping', 'curb stomp*', 'smashing his head', 'smashing her head', 'throwing acid at', 'set him on fire', 'set her on fire', 'burning him alive', 'burning her alive',
      
      // more violent verbs and their inflections
      'executing', 'executes', 'execute', 'whipping', 'whips', 'whipped', 'flogging', 'hacking at', 'machete', 'with a machete', 'machete attack', 'poignard*', 'atirando', 'atira', 'atirou', 'dispara', 'disparo', 'disparando', 'ersticht', 'erstach', 'erschiesst', 'erschoss', 'menusuk', 'menikam', 'membacok', 'memukuli', 'dipukuli', 'mengeroyok', 'dikeroyok', 'gala kaat', 'gala kat', 'maar rahe', 'maar raha', 'peet rahe', 'peet raha', 'dande se', 'chaku maar', 'goli maar', 'गला काट', 'मार रहे', 'पीट रहे', '刺している', '刺す', '殴る', '殴っている', '撃つ', '撃っている',
      
      'erwurgt', 'erwurgen', 'wurgt', 'erdrosselt',
      'apunalada', 'acuchillad*', 'asesinada', 'esfaqueada', 'espancado', 'espancada', 'frappant un', 'frappant une', 'frappe un', 'tabassant', 'tabasse',
      'bayonet*', 'pushed down the stairs', 'pushing his wife', 'pushing her down the stairs', 'pushes his wife', 'threw her down', 'throwing her down', 'linchando', 'linchar', 'linchamento', 'schlagt seine', 'schlagt ihre', 'schlug seine', 'schlug ihre', 'membacok', 'dibacok', 'menganiaya', 'dianiaya', 'menikam', 'ditikam', 'को मारा', 'को मार रहा', 'को पीटा', 'ko maara', 'ko mara', 'ko peeta',
      'blowing up a bus', 'blowing up a building', 'blowing up a car', 'blowing up a train', 'blowing up a school', 'blowing up a plane', 'blowing up a church', 'blowing up a mosque', 'blew up a bus', 'blow up a bus', 'blow up a building', 'blow up a school', 'blowing up people', 'blow up people',
 'brutally beating', 'brutally attacking', 'brutally murdered', 'brutal beating', 'मार डाल*', 'पीट*', 'peet peet', 'pitai kar',
 'executing prisoners', 'executing a prisoner', 'executed prisoners', 'execution of prisoners', 'execution style', 'executed by firing squad', 'taking hostages', 'held hostage', 'golpeando a', 'golpear a', 'frappant sa', 'frappe sa femme',
 'massacr*', 'tire sur', 'tirent sur', 'a tire sur', 'dispara a', 'disparan a', 'disparando contra', 'atira em', 'atiram em', 'atirando contra', 'schiesst auf', 'schiessen auf', 'menembaki', 'goli chala*', 'गोली चला*',
 'slashing her', 'slashing his', 'slashing a', 'slashed her', 'slashed his', 'beaten by', 'being beaten', 'gunman',
      ...VIOLENT_PHRASES,
 'shooting people', 'shooting civilians', 'shooting a man', 'shooting a woman', 'shooting him', 'shooting her', 'shoots him', 'shoots her', 'shot him', 'shot her', 'shoot him', 'shoot her', 'shooting protesters', 'shooting students', 'beaten up', 'beating a man', 'beating a woman', 'beating a child', 'beating her', 'beating him', 'punching her', 'punching him', 'punching a woman', 'assaulting', 'assaulted', 'assaults',
 'stab', 'stabs', 'stabbing', 'stabbed', 'shot dead', 'shot in the head', 'gunned down', 'gunning down', 'kill', 'kills', 'killing', 'killed', 'murder', 'murders', 'murdering', 'murdered', 'strangl*', 'choking her', 'choking him', 'beat up', 'beating up', 'kicking him', 'kicking her', 'tortur*', 'slaughter*', 'lynch*', 'attacking', 'attack on', 'bludgeon*', 'maul*', 'burning alive', 'set on fire', 'pointing a gun at', 'gun to her head', 'gun to his head', 'at gunpoint', 'knife to her throat', 'knife to his throat', 'hitting her', 'hitting him', 'slapping her', 'throwing acid', 'acid attack', 'kidnap*', 'abduct*', 'stoning', 'beheads', 'hang him', 'hanging him', 'drowning him', 'drowning her', 'beat to death', 'beats his wife', 'beating his wife', 'domestic violence', 'bombing',
 'apunalar', 'apunalando', 'apunalado', 'disparando a', 'disparar a', 'matar', 'matando', 'asesin*', 'tortura*', 'ejecucion', 'masacre', 'matanza', 'linchamiento', 'secuestr*', 'esfaquear', 'esfaqueando', 'atirando em', 'atirar em', 'matando', 'assassin*', 'espancando', 'espancar', 'execucao', 'chacina', 'sequestr*', 'poignarder', 'poignardant', 'tirant sur', 'tirer sur', 'tuer', 'tuant', 'meurtre', 'torturer', 'massacrer', 'erstechen', 'ersticht', 'erschiessen', 'erschiesst', 'toten', 'totet', 'ermorden', 'mord', 'verprugeln', 'folter*', 'hinrichtung', 'massaker', 'entfuhr*', 'menusuk', 'menembak', 'membunuh', 'dibunuh', 'pembunuhan', 'memukuli', 'menyiksa', 'penyiksaan', 'eksekusi', 'pembantaian', 'menculik', 'penculikan', 'मारना', 'मार रहा', 'मार डाल', 'हत्या', 'चाकू मार', 'गोली मार', 'पीट रहा', 'पीटना', 'यातना', 'नरसंहार', 'अपहरण', 'qatl', 'katl', 'hatya', 'chaku maar', 'goli maar', 'peet raha', 'pitai', 'narsanhar', 'apharan', 'maar raha', '刺す', '刺し', '撃つ', '射殺', '殺す', '殺し', '殺害', '殴る', '殴っ', '拷問', '処刑', '虐殺', '誘拐', '絞殺',
    ],
  },
  person: {
    terms: [
      // more people words
      'shopper*', 'passant*', 'commuter*', 'concert goer*', 'worshipper*', 'shoppers', 'aadmi', 'ladka', 'ladke', 'ladki', 'aurat', 'log', 'logon', 'आदमी', 'लड़का', 'लड़के', 'लड़की', 'औरत', 'लोग', 'pessoas', 'jovem', 'joven', 'jeune', 'junge', 'jungen', 'pemuda', 'orang', 'tetangga', 'tetangganya', 'nachbarn', 'nachbar', 'vecino', 'vizinho', 'voisin', 'his child', 'her child', 'his son', 'his daughter', '通行人', '人々', '買い物客',
      
      'homens', 'hombres', 'mujeres', 'mulheres', 'femmes', 'hommes', 'frauen', 'manner', 'ladrao', 'ladron', 'voleur', 'dieb', 'pencuri',
      'manifestante*', 'demonstran', 'manifestants', 'demonstrant*', 'प्रदर्शनकारी*', 'policial', 'policia', 'policier*', 'polizist*', 'polisi', 'ninos', 'criancas', 'enfants', 'prisionero*', 'preso*', 'prisonnier*', 'gefangene*', 'tahanan', 'tentara', 'soldado*', 'soldat*', 'civis', 'warga', 'penduduk', 'passants', 'passagiere', 'pasajeros', 'passageiros', 'penumpang', '警察官', '参加者', '市民', '住民', '学生', '生徒', '乗客', '通行人', '者', '子供',
      'man', 'men', 'woman', 'women', 'person', 'people', 'crowd', 'victim*', 'civilian*', 'prisoner*', 'hostage*', 'boy', 'girl', 'guy', 'lady', 'wife', 'husband', 'girlfriend', 'boyfriend', 'child', 'children', 'kid', 'kids', 'baby', 'student*', 'teacher', 'protester*', 'family', 'elderly', 'police officer*', 'cop', 'cops', 'someone', 'somebody', 'him', 'her', 'them', 'neighbor', 'neighbour', 'classmate*', 'coworker*', 'stranger*', 'pedestrian*', 'worshipper*', 'shoppers', 'villager*', 'refugee*', 'journalist*', 'nurse', 'doctor', 'priest', 'soldier', 'soldiers', 'old man', 'old woman', 'homeless man',
      'hombre', 'mujer', 'persona', 'gente', 'personas', 'multitud', 'victima*', 'civiles', 'chico', 'chica', 'esposa', 'alguien', 'homem', 'mulher', 'pessoa', 'pessoas', 'multidao', 'vitima*', 'garoto', 'garota', 'esposa', 'alguem', 'homme', 'femme', 'personne', 'gens', 'foule', 'victime*', 'civils', 'garcon', 'fille', 'quelqu un', 'mann', 'frau', 'mensch', 'menschen', 'leute', 'menge', 'opfer', 'zivilist*', 'junge', 'jemand', 'jemanden', 'pria', 'wanita', 'orang', 'orang orang', 'kerumunan', 'korban', 'warga sipil', 'laki laki', 'perempuan', 'seseorang', 'istri', 'आदमी', 'औरत', 'महिला', 'व्यक्ति', 'लोग', 'लोगों', 'भीड़', 'पीड़ित', 'लड़का', 'लड़की', 'पत्नी', 'किसी', 'aadmi', 'admi', 'aurat', 'mahila', 'log', 'logon', 'bheed', 'ladka', 'ladki', 'patni', 'biwi', 'kisi', '男', '女', '人', '人々', '群衆', '被害者', '民間人', '少年', '少女', '妻', '誰か', '人質',
    ],
  },
  blood: {
    terms: [
      // more blood words
      'sang qui', 'du sang', 'le sang', 'de sang', 'sang gicle', 'gicle', 'jorrando', 'jorra', 'muncrat', 'spurting', 'spraying blood', 'blood pooling', 'pooling', 'khoon', 'khoon se', 'lathpath', 'लथपथ', '血だらけ', '血まみれ', '血が', '流血',
      
      'plein de sang', 'couvert de sang', 'en sang',
      'blood', 'bloody', 'bloodied', 'bleeding', 'blood soaked', 'bloodsoaked', 'covered in blood', 'drenched in blood', 'sangre', 'sangriento*', 'ensangrentad*', 'sangrando', 'sangue', 'sangrento*', 'ensanguentad*', 'sanglant*', 'ensanglant*', 'blut', 'blutig*', 'blutuberstromt*', 'darah', 'berdarah', 'bersimbah darah', 'खून', 'लहूलुहान', 'खूनी', 'खून से लथपथ', 'khoon', 'khooni', 'khoon se lathpath', 'lahuluhan', '血', '血まみれ', '流血', '出血',
    ],
  },
  injury: {
    terms: [
      // more injury words
      'torn limbs', 'torn off', 'face torn off', 'face peeled off', 'peeled off', 'exposed muscle', 'craneo abierto', 'sesos', 'skull open', 'cracked skull', 'cabeza abierta', 'kepala pecah', 'sar kata', 'kata hua sar', 'कटा हुआ', '首を切断', '切断された',
      
      'guts out', 'guts hanging',
      'skinned',
      'abgetrennt*', 'kopf ab', 'cabeza cortada', 'cabeca cortada', 'tete coupee', 'tete tranchee', 'kepala terpenggal', 'potongan tubuh', 'tubuh terpotong', 'anggota tubuh', 'body parts',
      'corpse*', 'dead body', 'dead bodies', 'gaping wound*', 'open wound*', 'stab wound*', 'bullet wound*', 'bullet hole*', 'severed', 'mangled', 'torn flesh', 'cut open', 'slashed throat', 'slit throat', 'throat slit', 'organs', 'intestines', 'skull crushed', 'crushed skull', 'ripped apart', 'torn apart', 'exposed bone*', 'amputated', 'mutilated', 'wounds', 'wound', 'injuries', 'brains', 'flesh', 'carcass', 'body parts', 'murder victim', 'crime scene',
      'cadaver*', 'herida*', 'mutilad*', 'organos', 'cadaver', 'ferida*', 'mutilad*', 'orgaos', 'corpo morto', 'cadavre*', 'blessure*', 'plaie*', 'mutile*', 'organes', 'leiche*', 'wunde*', 'verstummelt*', 'organe', 'mayat', 'luka', 'jenazah', 'isi perut', 'लाश', 'घाव', 'शव', 'कटा हुआ', 'laash', 'ghaav', 'ghav', 'shav', '死体', '傷口', '内臓', '切断',
    ],
  },
  protected_group: {
    terms: [
      // singulars, inflections and more groups
      'mexican', 'mexicans', 'jew', 'musalman', 'musalmaan', 'musalmano', 'मुसलमान', 'मुसलमानों', 'muslim log', 'dalit', 'dalits', 'दलित', 'दलितों', 'orang cina', 'orang tionghoa', 'cina', 'orang papua', 'papua', 'orang kristen', 'kristen', 'christen', 'black men', 'black man', 'black women', 'negroes', 'nordestino', 'nordestinos', 'roms', 'refugies', 'fluchtlinge', 'fluchtlingen', 'auslandern', 'zuwanderer', 'migranten', 'asylanten', 'jewish', 'gays', 'homosexuels', 'maricones', 'bichas', 'kaum gay', 'kaum lgbt', '在日', '朝鮮人', '韓国人', '中国人', '外国人',
      
      'mexicanos', 'venezolanos', 'colombianos', 'peruanos', 'bolivianos', 'chinos', 'africanos', 'marroquies', 'haitianos', 'japoneses', 'coreanos', 'roms', 'maghrebins', 'africains', 'chinois', 'asiatiques', 'araber', 'afrikaner', 'polen', 'russen', 'roma', 'sinti',
      'jews', 'jewish people', 'jew', 'muslims', 'muslim people', 'moslems', 'black people', 'blacks', 'africans', 'mexicans', 'immigrants', 'migrants', 'refugees', 'asylum seekers', 'gays', 'gay people', 'homosexuals', 'lesbians', 'trans people', 'transgender people', 'lgbt people', 'lgbtq people', 'queers', 'asians', 'chinese people', 'arabs', 'hindus', 'sikhs', 'christians', 'catholics', 'roma people', 'gypsies', 'latinos', 'hispanics', 'indians', 'pakistanis', 'women', 'disabled people', 'the disabled', 'dalits', 'aborigines', 'native americans', 'koreans', 'japanese people', 'palestinians', 'israelis', 'whites', 'white people', 'foreigners',
      'judios', 'musulmanes', 'negros', 'inmigrantes', 'migrantes', 'gitanos', 'homosexuales', 'gays', 'mujeres', 'indigenas', 'latinos', 'judeus', 'muculmanos', 'imigrantes', 'ciganos', 'nordestinos', 'homossexuais', 'mulheres', 'indios', 'juifs', 'musulmans', 'noirs', 'immigres', 'arabes', 'gitans', 'homosexuels', 'femmes', 'etrangers', 'juden', 'muslime', 'auslander', 'fluchtlinge', 'schwarze', 'migranten', 'zigeuner', 'schwule', 'frauen', 'turken', 'yahudi', 'orang yahudi', 'orang cina', 'etnis tionghoa', 'orang kristen', 'umat muslim', 'orang papua', 'kaum gay', 'pendatang', 'मुसलमान', 'मुसलमानों', 'मुस्लिम', 'मुस्लिमों', 'हिंदू', 'हिंदुओं', 'दलित', 'दलितों', 'ईसाई', 'ईसाइयों', 'यहूदी', 'सिख', 'musalman', 'musalmaan', 'musalmano', 'musalmanon', 'muslimon', 'hinduon', 'dalit', 'dalito', 'isai', 'sikh', '朝鮮人', '韓国人', '中国人', '在日', 'ユダヤ人', '外国人', '黒人', '移民', '同性愛者', 'イスラム教徒', '部落',
    ],
  },
  dehumanizing: {
    terms: [
      // more dehumanising claims
      'dirty', 'rapists', 'criminals', 'thieves', 'traitors', 'terrorists', 'inferior', 'inferiors', 'inferiores', 'inferieurs', 'minderwertig*', 'burros', 'estupidos', 'stupides', 'dumm', 'bodoh', 'kecoak', 'monyet', 'tikus', 'anjing', 'sampah', 'gande', 'ganda', 'neech', 'gaddar', 'atankwadi', 'आतंकवादी', 'गद्दार', 'नीच', 'गंदा', 'गंदे', 'ゴキブリ', '害虫', '寄生虫', '劣等',
      
      'salvajes', 'son salvajes', 'sao selvagens', 'sont des sauvages', 'sind wilde', 'sao doentes', 'nojentos', 'sao nojentos', 'doentes mentais', 'son enfermos', 'asquerosos', 'sont malades', 'sont des voleurs', 'son ladrones', 'sao ladroes', 'sind diebe', 'adalah pencuri', 'voleurs',
      'monkey face*', 'ape face*', 'pig face*', 'rat face*', 'son terroristas', 'sao terroristas', 'sont des terroristes', 'sind terroristen', 'adalah teroris', 'aatanki hain', 'आतंकवादी हैं', 'はテロリスト', 'son violadores', 'sao estupradores', 'sont des violeurs', 'は猿', 'はサル', 'は豚', 'は犬', 'は動物',
      'una plaga', 'son una plaga', 'uma praga', 'sao uma praga', 'une peste', 'sont une plaie', 'eine plage', 'sind eine plage', 'adalah hama', 'hama',
      'mentally ill', 'freaks', 'are freaks', 'abomination*', 'degenerate*', 'groomers', 'are groomers', 'are pedophiles', 'not real women', 'not real men',
      'are filthy', 'are disgusting', 'caricature', 'caricatures', 'racist stereotype*', 'seperti binatang', 'adalah binatang', 'जानवर हैं', 'janwar hai', 'janwar hain', 'jaanwar hai', 'gande hai', 'गंदे हैं', 'neech jaati', 'नीच जाति', 'gaddar hai', 'gaddar hain', 'はゴキブリ', 'ゴキブリ以下', 'ゴキブリども', 'は犯罪者', 'は寄生虫', 'は害虫',
      'vermin', 'subhuman*', 'sub human*', 'untermensch*', 'are animals', 'as animals', 'like animals', 'are rats', 'as rats', 'like rats', 'are cockroaches', 'as cockroaches', 'like cockroaches', 'cockroaches', 'are parasites', 'as parasites', 'are pigs', 'as pigs', 'as monkeys', 'as apes', 'are apes', 'are monkeys', 'are dogs', 'as dogs', 'infestation', 'inferior race', 'are inferior', 'not human', 'not even human', 'mongrel*', 'savages', 'are a disease', 'a plague', 'invaders', 'go back to your country', 'go back where they came from', 'don t belong here', 'should be deported', 'should be banned', 'ban all', 'deport them all', 'are criminals', 'are terrorists', 'are rapists', 'are thieves', 'are evil', 'hook nosed', 'big nosed', 'breeding like',
      'como ratas', 'son ratas', 'cucarachas', 'alimanas', 'subhumanos', 'infrahumanos', 'raza inferior', 'son animales', 'invasores', 'son criminales', 'como ratos', 'sao ratos', 'baratas', 'vermes', 'sub humanos', 'raca inferior', 'sao animais', 'invasores', 'sao criminosos', 'comme des rats', 'sont des rats', 'cafards', 'vermine', 'sous hommes', 'race inferieure', 'sont des animaux', 'envahisseurs', 'sont des criminels', 'ungeziefer', 'untermenschen', 'wie ratten', 'sind ratten', 'parasiten', 'minderwertig*', 'sind tiere', 'kakerlaken', 'schmarotzer', 'seperti tikus', 'kecoa', 'sampah masyarakat', 'ras rendah', 'penjajah', 'कीड़े', 'कीड़े मकोड़े', 'दीमक', 'गद्दार', 'घुसपैठिए', 'keede', 'keedo', 'kide', 'deemak', 'dimak', 'ghuspaithiye', '害虫', 'ウジ虫', '劣等民族', '出て行け',
    ],
  },
  group_violence: {
    terms: [
      // violence against a group shown as it happens
      'hanging black', 'mob hanging', 'burning a mosque', 'burning a church', 'burning a synagogue', 'burning a temple',
      
      // more calls to mass violence
      'gassed', 'rounded up', 'round up', 'round them up', 'shot on sight', 'should be shot', 'should burn', 'deserve this', 'deserve to burn', 'off the map', 'wipe them', 'devem morrer', 'deben morir', 'doivent mourir', 'mussen sterben', 'harus mati', 'queimados', 'quemados', 'brules', 'ins gas', 'tod allen', 'tod den', 'zundet', 'anzunden', 'membantai', 'bantai', 'bantai semua', 'usir', 'jala do', 'maar do', 'मार दो', 'जला दो', '皆殺し', '殺せ', '追い出せ',
      
      'quemar a', 'queimar os', 'bruler les', 'verbrennen', 'bakar', 'जला', 'burn the',
      'matem todos', 'matem os', 'mate todos', 'matemos', 'matar os',
      'lynching',
      'kill all', 'kill the', 'killing all', 'death to', 'exterminat*', 'genocide', 'ethnic cleansing', 'wipe out', 'wiping out', 'eradicat*', 'should be killed', 'deserve to die', 'must die', 'should die', 'hang all', 'hang the', 'lynch*', 'burn them', 'burn all', 'gas the', 'gas them', 'into the ovens', 'shoot all', 'shoot them', 'massacre', 'purge', 'final solution', 'race war', 'holy war against', 'bomb their',
      'matar a todos', 'muerte a', 'exterminar', 'exterminio', 'aniquilar', 'masacre', 'matar todos', 'morte aos', 'morte a', 'exterminio', 'aniquilar', 'chacina', 'tuer tous les', 'mort aux', 'exterminer', 'extermination', 'aneantir', 'vergasen', 'ausrotten', 'ausrottung', 'totet alle', 'tod den', 'vernichten', 'vernichtung', 'bunuh semua', 'basmi', 'musnahkan', 'bantai', 'habisi', 'मार डालो', 'मार दो', 'खत्म करो', 'काट डालो', 'काट दो', 'जला दो', 'सफाया', 'नरसंहार', 'maar do', 'maar dalo', 'kaat do', 'kaat dalo', 'khatam karo', 'jala do', 'safaya', 'narsanhar', '皆殺し', '殺せ', '抹殺', '根絶', '虐殺', '駆除',
    ],
  },
  extremist_group: {
    terms: [
      // more extremist figures and groups
      'oklahoma city bomber', 'unabomber', 'christchurch shooter', 'the base', 'accelerationis*', 'aryan*', 'aryan brotherhood', '14 words', 'jihad', 'jihadi*', 'djihad*', 'dschihad', 'ナチス', 'ナチ', '鉤十字', 'イスラム国', 'ハーケンクロイツ',
      
      'नाजियों', 'नाज़ियों',
      'आईएसआईएस', 'आईएस', 'अल कायदा', 'तालिबान',
      '9 11 hijackers', 'hijackers', 'the hijackers', 'la eta', 'a eta', 'banda terrorista eta', 'eta terrorista', 'nazie', 'nazies',
      'daech', 'daich',
      'osama bin laden', 'bin laden', 'al baghdadi', 'abu bakr al baghdadi', 'anders breivik', 'breivik', 'brenton tarrant', 'timothy mcveigh', 'dylann roof', 'den is', 'fur den is', 'is miliz', 'is terror*', 'is kampfer',
      'islamischen staat', 'islamische staat',
      'nazi', 'nazis', 'nazism', 'neo nazi*', 'neonazi*', 'third reich', 'hitler', 'adolf hitler', 'waffen ss', 'swastika*', 'nsdap', 'isis', 'isil', 'daesh', 'islamic state', 'al qaeda', 'al qaida', 'alqaeda', 'taliban', 'boko haram', 'al shabaab', 'hezbollah', 'hamas', 'kkk', 'ku klux klan', 'klan', 'white supremac*', 'white nationalis*', 'atomwaffen', 'proud boys', 'patriot front', 'oath keepers', 'blood and honour', 'combat 18', 'national socialist*', 'hitler youth', 'ss runes', 'ss bolts', 'aryan brotherhood', 'aryan nation*', 'master race', 'terrorist organization*', 'terrorist organisation*', 'terrorist group*', 'terror group*', 'terrorist cell', 'terrorists', 'terrorism', 'jihadi*', 'jihad', 'mujahideen', 'lashkar', 'jaish', 'ira bomber*', 'eta terrorist*', 'christchurch shooter', 'unabomber', 'school shooter*', 'mass shooter*', 'incel movement', 'accelerationis*', 'fascis*', 'suicide bomber*', 'totenkopf', 'sonnenrad', 'black sun symbol', 'iron guard',
      'nazista*', 'esvastica*', 'estado islamico', 'organizacion terrorista', 'grupo terrorista', 'yihadista*', 'terroristas', 'suastica*', 'organizacao terrorista', 'jihadista*', 'croix gammee', 'etat islamique', 'organisation terroriste', 'groupe terroriste', 'djihadiste*', 'terroristes', 'hakenkreuz*', 'islamischer staat', 'terrororganisation', 'terroristische vereinigung', 'dschihadist*', 'terroristen', 'negara islam', 'organisasi teroris', 'kelompok teroris', 'jihadis', 'teroris', 'नाजी', 'हिटलर', 'आतंकवादी संगठन', 'आतंकी संगठन', 'आतंकवादी', 'आतंकी', 'इस्लामिक स्टेट', 'जिहादी', 'aatanki', 'atanki', 'aatankwadi', 'atankwadi', 'aatanki sangathan', 'atankwadi sangathan', 'jihadi', 'ナチス', 'ナチ', 'ヒトラー', '鉤十字', 'ハーケンクロイツ', 'イスラム国', 'テロ組織', 'テロリスト', 'ジハード', 'オウム真理教',
    ],
  },
  glorify: {
    terms: [
      // recruitment calls
      'bergabunglah', 'bergabung dengan', 'ayo gabung', 'join karo', 'join now', 'unete a', 'junte se a', 'rejoignez', 'schliesst euch an', '参加せよ', '加われ',
      
      // more glorifying words
      'freedom fighter', 'inspire others', 'inspire', 'as a saint', 'saint', 'hero of', 'honour', '称え', '讃え', '賛美', '英雄',
      
      'प्रशंसा', 'तारीफ', 'prashansa', 'tareef', 'tarif', 'elogio*', 'elogiando', 'elogiar', 'louvor', 'louvando', 'exaltar', 'eloge', 'elogieux', 'loben', 'lobt', 'lobpreis*', 'pujian', 'memuji', '賞賛', '絶賛',
      'glorif*', 'recruit*', 'praise', 'praising', 'tribute to', 'honoring', 'honouring', 'in honor of', 'idoliz*', 'idolis*', 'romanticiz*', 'romanticis*', 'manifesto', 'martyr*', 'long live',
      'glorific*', 'reclut*', 'alabando', 'homenaje a', 'exaltando', 'exaltacion', 'enaltec*', 'martir*', 'recrut*', 'homenagem a', 'exaltando', 'glorifi*', 'hommage a', 'a la gloire', 'verherrlich*', 'anwerb*', 'rekrutier*', 'huldigung', 'mengagungkan', 'memuliakan', 'perekrutan', 'rekrutmen', 'merekrut', 'memuja', 'महिमामंडन', 'गुणगान', 'भर्ती', 'mahimamandan', 'gungaan', 'gungan', 'bharti', '美化', '勧誘', '称賛', '礼賛', '募集', '讃える', '崇拝',
    ],
  },
  propaganda: {
    terms: [
      // more recruitment calls
      'unete a', 'junte se a', 'rejoignez', 'schliesst euch', '参加せよ', '加われ',
      
      'propaganda*',
      'heroic', 'heroes', 'hero', 'join us', 'join the', 'joining the', 'salute', 'saluting', 'victory of the', 'rally for', 'supporting the', 'support the', 'glorious', 'triumphant', 'we will win', 'wants you', 'enlist', 'rise up', 'inspirational', 'pride in', 'celebrating the', 'fan art of', 'heroico', 'heroica', 'unete', 'viva el', 'viva la', 'heroi', 'herois', 'junte se', 'heroique', 'rejoignez', 'rejoindre', 'vive le', 'vive la', 'heldenhaft', 'helden', 'tritt bei', 'es lebe', 'pahlawan', 'bergabunglah', 'hidup', 'नायक', 'शहीद', 'जिंदाबाद', 'समर्थन', 'शामिल हों', 'nayak', 'shaheed', 'zindabad', 'samarthan', 'shamil ho', '英雄', '万歳', 'バンザイ', 'heil', 'sieg heil',
      'propagandistic', 'propagande', 'propagandistisch*', 'प्रचार', 'prachar', 'プロパガンダ', '宣伝', 'recruitment poster', 'pamphlet', 'leaflet', 'flag waving',
    ],
  },
  education_context: {
    terms: [
      'museum', 'exhibit', 'exhibition', 'textbook', 'memorial', 'anti nazi', 'anti fascist', 'antifascist', 'defeat of the', 'liberation of', 'history lesson', 'historical archive', 'documentary', 'encyclopedia', 'against', 'resisting', 'resistance', 'museo', 'memorial', 'contra', 'musee', 'contre', 'gedenkstatte', 'gegen', 'museum sejarah', 'melawan', 'संग्रहालय', 'के खिलाफ', 'ke khilaf', '博物館', '反対',
    ],
  },
  animal_word: {
    terms: ['animals', 'monkeys', 'apes', 'pigs', 'dogs', 'rats', 'cockroaches', 'insects', 'vermin', 'parasites', 'snakes', 'beasts', 'animales', 'monos', 'cerdos', 'perros', 'animais', 'macacos', 'porcos', 'cachorros', 'animaux', 'singes', 'porcs', 'chiens', 'tiere', 'affen', 'schweine', 'hunde', 'binatang', 'monyet', 'babi', 'anjing', 'जानवर', 'बंदर', 'सूअर', 'कुत्ते', 'janwar', 'bandar', 'suar', 'kutte'],
  },
  depicted_as: {
    terms: [
 'itu', 'depicted as', 'portrayed as', 'drawn as', 'shown as', 'as', 'calling', 'called', 'call', 'are', 'like', 'como', 'son', 'sao', 'comme', 'sont', 'wie', 'sind', 'als', 'seperti', 'adalah', 'hain', 'hai', 'हैं', 'है', 'जैसे', 'jaise'],
  },
  slur: {
    terms: [
      // more slurs
      'ni99er*', 'n1gga*', 'chutiya', 'chutiye',
      
      'nigger*', 'nigga*', 'n1gger', 'niglet*', 'kike*', 'kyke', 'spic', 'spics', 'wetback*', 'beaner*', 'chink*', 'gook*', 'raghead*', 'towelhead*', 'sand nigger*', 'paki', 'pakis', 'faggot*', 'fag', 'fags', 'tranny', 'trannies', 'shemale*', 'coon', 'coons', 'jungle bunny', 'porch monkey*', 'golliwog*', 'zipperhead*', 'camel jockey*', 'kaffir*', 'gyppo*', 'pikey*', 'retards',
      'sudaca*', 'maricon*', 'machorra', 'panchito*', 'negrata', 'viado*', 'sapatao', 'bougnoule*', 'youpin*', 'bamboula*', 'negre', 'negresse', 'kanake*', 'neger*', 'kameltreiber*', 'schwuchtel*', 'cina babi', 'kafir laknat', 'katua', 'katwa', 'mulle', 'mullah log', 'chamar', 'bhangi', 'chinki', 'कटुआ', 'कटवा', 'मुल्ले', 'चमार', 'भंगी', 'चिंकी', 'チョン', '支那人', 'シナ人', 'ニガー', 'ガイジ', 'ホモ野郎',
    ],
  },
  insult: {
    terms: [
      // more insults
      'conne', 'vagabunda', 'otaria', 'goblok', 'tolol', 'chutiya', 'kamina', 'kamine', 'ブス', 'キモい',
      
      'gorda', 'gordo',
      'worthless', 'pathetic loser', 'loser', 'idiot', 'moron', 'retard', 'retarded', 'whore', 'slut', 'bitch', 'cunt', 'fatso', 'fat pig', 'ugly pig', 'ugly cow', 'fat cow', 'piece of shit', 'scumbag', 'dumbass', 'dumb bitch', 'skank', 'thot', 'incel', 'virgin loser', 'pervert',
      'puta', 'zorra', 'idiota', 'imbecil', 'gorda asquerosa', 'retrasad*', 'vadia', 'imbecil', 'gorda nojenta', 'retardad*', 'otario', 'salope', 'pute', 'connard', 'connasse', 'grosse vache', 'debile', 'schlampe', 'hure', 'fotze', 'missgeburt', 'fette sau', 'idiot', 'pelacur', 'lonte', 'goblok', 'tolol', 'babi gendut', 'रंडी', 'कुतिया', 'हरामी', 'कमीना', 'कमीनी', 'मोटी भैंस', 'बदसूरत', 'गंदी', 'randi', 'kutiya', 'harami', 'kamina', 'kamini', 'moti bhains', 'chutiya', 'ブス', 'デブ', 'クズ', 'キモい', '淫乱',
    ],
  },
  harass_act: {
    terms: [
      // more ways to expose or shame someone
      'make fun', 'zoeira', 'ngejek', 'mengejek', 'menghina', 'hina', 'mazaak', 'sharminda', '晒す', '晒し', 'バカにする',
      
      'का मज़ाक', 'का मजाक', 'ka mazak', 'ka mazaak', 'ka majak',
      'zoando', 'zoar', 'tirando sarro',
      'मज़ाक उड़ा*', 'मजाक उड़ा*', 'mazak uda*', 'mazaak uda*', 'majak uda*', 'mazak bana*', 'मज़ाक बना*',
      'degrading',
      'mock*', 'humiliat*', 'ridicul*', 'bully*', 'bullied', 'body shaming', 'body shame', 'slut shaming', 'slut shame', 'insult*', 'make fun of', 'making fun of', 'taunt*', 'harass*', 'cyberbull*', 'doxx*', 'dox', 'expose her', 'expose him', 'shame her', 'shame him', 'meme calling', 'rumor about', 'rumour about',
      'burlandose de', 'burlarse de', 'burla de', 'humillar', 'humillando', 'humillante', 'ridiculizar', 'ridiculizando', 'acoso', 'acosar', 'zombando de', 'zombar de', 'humilhar', 'humilhando', 'humilhante', 'ridicularizar', 'assediar', 'se moquant de', 'se moquer de', 'humilier', 'humiliant*', 'ridiculiser', 'harceler', 'harcelement', 'lustig machen', 'macht sich lustig', 'demutig*', 'blossstell*', 'mobben', 'mobbing', 'beleidig*', 'verspott*', 'mengejek', 'ejek', 'mempermalukan', 'merundung', 'perundungan', 'menghina', 'hinaan', 'बेइज्जत', 'अपमानित', 'अपमान', 'बदनाम', 'mazak udate', 'beizzat', 'beizzati', 'apmaan', 'apman', 'badnaam', 'バカにする', 'バカにした', '晒し者', '晒す', 'いじめ', '辱め', '笑いもの', '笑い者', '侮辱',
    ],
  },
  target: {
    terms: [
      // pronouns that point at one person
      'uski photo', 'uska photo', 'uske photo', 'uski', 'uska', 'uske', 'his name', 'her name',
      
      // more personal targets
      'mi profe', 'mi profesor', 'profe', 'mere dost', 'mera dost', 'meri dost', 'dost ko', 'sahpathi', 'सहपाठी', 'मेरे सहपाठी', 'teman sekelas', 'temanku', 'teman saya', 'si budi', 'guru saya', 'my school', 'from my school', 'from accounting', 'from work', 'mon voisin', 'ma voisine', 'mon prof', 'meinen mitschuler', 'minha vizinha', 'meu vizinho', 'ex', 'mantan', '元カノ', '同級生', '上司', '同僚',
      
      'सहकर्मी', 'मेरे सहकर्मी', 'पड़ोसी', 'पड़ोसन', 'बॉस',
      'classmate', 'classmates', 'coworker', 'co worker', 'colleague', 'boss', 'neighbor', 'neighbour', 'teacher', 'roommate', 'stepmom', 'stepdad', 'ex girlfriend', 'ex boyfriend', 'ex wife', 'ex husband', 'manager', 'landlord', 'mother in law', 'companero de clase', 'companera de clase', 'colega de classe', 'colega de trabalho', 'camarade de classe', 'collegue', 'mitschuler*', 'kollege*', 'kollegin*', 'teman sekelas', 'rekan kerja', 'sahpathi', 'सहपाठी', '同級生', 'クラスメイト', '同僚', '上司',
      'meinen ex', 'meinem ex', 'meinen chef', 'meinen kollegen', 'meinen nachbarn', 'meinen lehrer', 'meiner nachbarin', 'meiner kollegin',
      'my classmate', 'my classmates', 'my coworker', 'my co worker', 'my colleague', 'my boss', 'my ex', 'my ex girlfriend', 'my ex boyfriend', 'my ex wife', 'my ex husband', 'my neighbor', 'my neighbour', 'my teacher', 'my sister', 'my brother', 'my stepmom', 'my roommate', 'my friend', 'my cousin', 'my mother in law', 'my manager', 'my student', 'my stepdad', 'my landlord', 'this girl', 'this guy', 'this woman', 'this man', 'this kid', 'this person', 'the new girl', 'the fat kid', 'a girl from my school', 'a boy from my school', 'a girl in my class', 'a boy in my class', 'the girl in my class', 'named', 'called', 'whose name is',
      'mi companero', 'mi compañero', 'mi companera', 'mi compañera', 'mi jefe', 'mi jefa', 'mi ex', 'mi vecino', 'mi vecina', 'mi profesor', 'mi profesora', 'mi hermana', 'mi amiga', 'meu colega', 'minha colega', 'meu chefe', 'minha chefe', 'minha ex', 'meu ex', 'meu vizinho', 'minha vizinha', 'meu professor', 'minha professora', 'minha irma', 'mon collegue', 'ma collegue', 'mon camarade', 'ma camarade', 'mon patron', 'ma patronne', 'mon ex', 'mon voisin', 'ma voisine', 'mon prof', 'ma prof', 'ma soeur', 'mein kollege', 'meine kollegin', 'mein mitschuler', 'meine mitschulerin', 'mein chef', 'meine chefin', 'mein ex', 'meine ex', 'mein nachbar', 'meine nachbarin', 'mein lehrer', 'meine lehrerin', 'meine schwester', 'teman sekelasku', 'teman sekelas saya', 'teman sekelas', 'rekan kerja', 'rekan kerjaku', 'bosku', 'bos saya', 'mantanku', 'mantan saya', 'tetanggaku', 'tetangga saya', 'guruku', 'guru saya', 'adikku', 'मेरी सहपाठी', 'मेरा सहपाठी', 'मेरा सहकर्मी', 'मेरी सहकर्मी', 'मेरे बॉस', 'मेरी एक्स', 'मेरा पड़ोसी', 'मेरी पड़ोसन', 'मेरे टीचर', 'मेरी टीचर', 'मेरी बहन', 'इस लड़की', 'meri classmate', 'mera classmate', 'mera colleague', 'meri colleague', 'mere boss', 'meri ex', 'mera padosi', 'meri padosan', 'mere teacher', 'meri teacher', 'meri behen', 'is ladki', 'is ladke', '同級生', 'クラスメイト', '同僚', '上司', '元カノ', '元彼', '元カレ', '隣人', '先生', '近所の', 'あの子',
    ],
  },
  threat: {
    terms: [
      // more threats of harm to the reader
      'i will stab', 'i ll stab', 'gonna stab', 'i will shoot', 'i ll shoot', 'gonna shoot', 'i will burn', 'gonna burn', 'i ll make you pay', 'you will regret', 'you ll regret', 'your days are numbered', 'sleep with one eye open', 'your family will', 'te vas a arrepentir', 'vas a pagar', 'voce vai pagar', 'vai se arrepender', 'tu vas payer', 'tu vas le regretter', 'du wirst es bereuen', 'du wirst bezahlen', 'kamu akan menyesal', 'awas kau', 'tujhe dekh lunga', 'dekh lunga', 'nahi chhodunga', 'chhodunga nahi', 'तुझे छोड़ूंगा नहीं', 'देख लूंगा', '覚えてろ', 'ぶっ殺す', '殺しに行く',
      
      // a weapon marked for someone
      'name engraved', 'with his name engraved', 'with her name engraved',
      
      // more threats
      'coming for you', 'i m coming for you', 'see you soon', 'maar dalunga', 'maar daalunga', 'maar dunga', 'maar doonga', 'mar dalunga', 'tujhe maar', 'tujhe', 'membunuhmu', 'kubunuh', 'kubunuh kau', 'bunuh kau', 'akan membunuh', 'he s gonna hang', 'you re gonna hang', 'gonna hang', 'you re dead', 'you are dead', 'du bist tot', 'estas muerto', 'te va a pasar', 'te vai acontecer', 'vai acontecer com voce', 'ca va t arriver', 'das passiert dir', 'kamu akan mati', 'tu vas crever', '殺してやる', '殺す', 'お前を', 'お前の家族', 'मार डालूंगा', 'मार दूंगा', 'जान से मार',
      
      'this will happen to you', 'this will happen', 'this is what will happen', 'you will be next', 'next it will be you',
      'death threat*', 'threatening message', 'threatening note', 'threatening letter', 'threatening poster', 'threatening image', 'i will kill', 'i ll kill', 'i m going to kill', 'i am going to kill', 'gonna kill', 'going to kill', 'i will hurt', 'i ll hurt', 'i will find you', 'i ll find you', 'you will pay', 'you re next', 'you are next', 'know where you live', 'watch your back', 'bullet with your name', 'you will die', 'you re dead', 'you are dead', 'your days are numbered', 'will burn your house', 'burn down his house', 'burn down her house', 'sleep with one eye open', 'crosshairs on', 'in the crosshairs',
      'amenaza de muerte', 'te voy a matar', 'voy a matarte', 'se donde vives', 'vas a morir', 'eres el siguiente', 'eres la siguiente', 'ameaca de morte', 'vou te matar', 'vou matar voce', 'sei onde voce mora', 'voce vai morrer', 'voce e o proximo', 'menace de mort', 'menaces de mort', 'je vais te tuer', 'je sais ou tu habites', 'tu vas mourir', 'tu es le prochain', 'tu es la prochaine', 'morddrohung*', 'ich bringe dich um', 'ich bring dich um', 'ich werde dich toten', 'ich weiss wo du wohnst', 'du wirst sterben', 'du bist der nachste', 'du bist die nachste', 'ancaman pembunuhan', 'aku akan membunuhmu', 'akan kubunuh', 'kubunuh kau', 'kubunuh kamu', 'aku tahu rumahmu', 'kamu akan mati', 'kau akan mati', 'जान से मार दूंगा', 'जान से मारने की धमकी', 'मैं तुम्हें मार दूंगा', 'तुझे मार डालूंगा', 'तुझे मार दूंगा', 'धमकी', 'jaan se maar dunga', 'jaan se maar dungi', 'tujhe maar dunga', 'tumhe maar dunga', 'tujhe maar dalunga', 'dhamki', 'jaan se marne ki dhamki', '殺害予告', '殺すぞ', 'お前を殺す', '殺してやる', '家を知ってる', '脅迫状', '脅迫',
    ],
  },
  self_harm_method: {
    terms: [
      // more self-harm methods
      'a noose that', 'noose that won t', 'hanging from the ceiling fan', 'ceiling fan', 'zum sterben', 'schlaftabletten', 'sleeping pills', 'slit your wrists', 'slit wrists', 'cortarse las venas', 'cortar las venas', 'se pendre', 'pendre', 'aufhangen', 'erhangen', 'mati', 'morir', 'morrer', 'mourir', 'sterben', 'marna', 'मरना', '死ぬ', '死ね',
      
      'cut my wrist', 'cut your wrist', 'slit my wrist', 'will kill me', 'to kill me', 'enough to kill', 'hanging yourself',
      'jump off a bridge', 'jump off a building', 'jump in front of a train', 'jump to my death', 'throw myself', 'cortarse las venas', 'cortar las venas', 'cortarme las venas', 'cortar os pulsos', 'se cortar', 'cortarse', 'bringt man sich um', 'sich umbringen', 'man sich um',
      'mix to die', 'chemicals to die', 'to die quickly', 'to die painlessly', 'para morir', 'para morrer', 'pour mourir', 'um zu sterben', 'untuk mati', 'marne ke liye', '死ぬため', 'mourir sans douleur', 'morir sin dolor', 'morrer sem dor', 'das leben nehmen', 'sich das leben', 'schmerzlos', 'marne', 'mar jaane', 'मरने', '死ねる',
      'se suicider', 'suicider',
      'bleed out', 'bleed to death', 'cut deep enough', 'cut deep', 'cutting deep', 'se mutiler', 'mutilate myself',
      'ahorcarse', 'ahorcarme', 'se pendre', 'sich erhangen', 'gantung diri', 'enforcar se', 'se enforcar', 'फांसी लगाने', 'phansi lagane', 'fansi lagane', '首吊り',
      'take to die', 'takes to die', 'enough to die', 'amount to die', 'dose to die', 'pills to die', 'overdose on',
      'suicidar', 'suicidarse', 'suicidarme', 'me suicidar', 'se matar', 'matarse', 'se tuer', 'umbringen', 'bringe ich mich', 'mich schmerzlos', 'schmerzlos sterben', 'ritzen',
      'painless death', 'most painless', 'die without pain', 'muerte sin dolor', 'morte sem dor', 'mort sans douleur', 'schmerzloser tod', 'mati tanpa rasa sakit', 'bina dard ke maut', '楽に死ね*',
      'cutting yourself', 'hurting yourself', 'hurt yourself', 'harm yourself', 'harming yourself', 'hurt myself', 'harm myself',
      'suicide', 'kill yourself', 'kill myself', 'killing myself', 'end my life', 'end your life', 'self harm', 'selfharm', 'cut yourself', 'cut myself', 'cutting myself', 'hang yourself', 'hang myself', 'hanging myself', 'overdose', 'overdosing', 'lethal dose', 'painless way to die', 'ways to die', 'way to die', 'die painlessly', 'slit my wrists', 'slit your wrists', 'kill themselves', 'starve myself', 'starving myself', 'purge after eating',
      'suicidio', 'suicidarse', 'suicidarme', 'matarme', 'cortarme', 'ahorcarme', 'sobredosis', 'dosis letal', 'suicidio', 'me matar', 'me cortar', 'me enforcar', 'overdose', 'dose letal', 'suicide', 'me suicider', 'me tuer', 'me pendre', 'dose mortelle', 'selbstmord', 'suizid', 'mich umbringen', 'mich toten', 'mich ritzen', 'mich erhangen', 'todliche dosis', 'bunuh diri', 'menyayat', 'menggantung diri', 'overdosis', 'dosis mematikan', 'आत्महत्या', 'खुदकुशी', 'ख़ुदकुशी', 'नस काट', 'फांसी', 'aatmhatya', 'atmahatya', 'khudkushi', 'nas kaat', 'nas kaatna', 'phansi', 'fansi', '自殺', '首吊り', '首をつる', 'リストカット', 'リスカ', '致死量', '飛び降り',
    ],
  },
  /** Fine art, museums and antiquity: bare nudity there is not sexual content (explicit acts still are). */
  art_context: {
    terms: ['painting', 'paintings', 'oil painting', 'statue', 'statues', 'sculpture*', 'museum', 'museums', 'gallery', 'art gallery', 'classical', 'renaissance', 'baroque', 'greek vase', 'ancient', 'antique', 'fresco*', 'figurine', 'life drawing', 'figure drawing', 'art history', 'venus', 'botticelli', 'michelangelo', 'goya', 'modigliani', 'titian', 'rubens', 'cranach', 'manet', 'louvre', 'prado', 'uffizi', 'pintura', 'pinturas', 'cuadro', 'museo', 'estatua', 'escultura', 'estatua', 'antigua', 'antiguo', 'pintura a oleo', 'quadro', 'estatua grega', 'museu', 'peinture', 'tableau', 'statue', 'musee', 'antique', 'gemalde', 'aktgemalde', 'skulptur', 'statue', 'antike', 'lukisan', 'patung', 'museum', 'kuno', 'संग्रहालय', 'मूर्ति', 'चित्रकला', 'प्राचीन', 'sangrahalay', 'murti', '美術館', '博物館', '彫刻', '絵画', '彫像', '古代'],
  },
  /** Sexual acts and explicit anatomy: sexual content even in an art setting. */
  sexual_act: {
    terms: ['sex', 'having sex', 'sex act*', 'sexually explicit', 'explicit', 'porn*', 'porno', 'pornografia', 'pornographie', 'pornografie', 'pornografi', 'xxx', 'nsfw', 'hentai', 'intercourse', 'genital*', 'penis*', 'vagina*', 'vulva*', 'clitoris', 'erection', 'erect', 'masturb*', 'orgasm*', 'blowjob*', 'blow job*', 'handjob*', 'cum', 'cumshot*', 'penetrat*', 'fucking', 'fucked', 'fuck', 'pussy', 'dick', 'cock', 'orgy', 'orgies', 'spread legs', 'legs spread', 'spreading her legs', 'sexo', 'follando', 'transando', 'sexe', 'ficken', 'fickt', 'vogeln', 'ngentot', 'bokep', 'seks', 'chudai', 'चुदाई', 'सेक्स', 'संभोग', 'セックス', 'ポルノ', '性器', '性行為', '無修正', 'ngangkang', 'boquete', 'fellation', 'mamada'],
  },
  /** Cameras people do not know about. */
  covert_camera: {
    terms: ['hidden camera', 'hidden cam', 'spy cam*', 'spycam*', 'secretly filmed', 'secretly recorded', 'secretly filming', 'camara oculta', 'camara escondida', 'camera escondida', 'camera oculta', 'camera cachee', 'versteckte kamera', 'kamera tersembunyi', 'kamera tersembunyi di', 'छिपा कैमरा', 'छुपा कैमरा', 'chhupa camera', 'chupa camera', '隠しカメラ', '盗撮'],
  },
  /** Places people undress. */
  private_place: {
    terms: ['changing room*', 'locker room*', 'shower*', 'showering', 'bathroom*', 'toilet*', 'restroom*', 'fitting room*', 'dressing room*', 'kamar ganti', 'ruang ganti', 'kamar mandi', 'vestuario*', 'probador*', 'bano', 'ducha', 'banheiro*', 'vestiario*', 'provador*', 'chuveiro', 'vestiaire*', 'cabine d essayage', 'douche*', 'toilettes', 'umkleide*', 'dusche*', 'toilette*', 'बाथरूम', 'चेंजिंग रूम', 'bathroom mein', '更衣室', 'トイレ', '風呂', 'シャワー', '浴室'],
  },
  /** Someone undressing another person. */
  undress_act: {
    terms: ['pulling her jeans off', 'pulling her pants off', 'pulling off her', 'pulls off her', 'pulling her clothes off', 'taking her clothes off', 'takes her clothes off', 'taking off her', 'undressing her', 'undresses her', 'strips her', 'stripping her', 'zieht sie aus', 'zieht ihr', 'zog sie aus', 'la desnuda', 'desnudandola', 'desvistiendola', 'tirando a roupa dela', 'despindo', 'la deshabille', 'melepas bajunya', 'melepas pakaian', 'membuka baju', 'kapde utaar*', 'कपड़े उतार*', '脱がせ', '脱がす', '服を脱が'],
  },
  /** What self-harm cuts are made with, or called: with an arm or wrist, self-harm. */
  cut_mark: {
    terms: ['razor', 'razor blade*', 'self inflicted', 'fresh cuts', 'schnittwunde*', 'rasierklinge*', 'gilete', 'lame de rasoir', 'silet', 'sayatan', 'luka sayatan', 'blade se', 'ब्लेड', 'カッター', 'リスカ', '切り傷'],
  },
  /** Cuts and scars that are as often fabric, meat or old injuries: they need blood or a self-inflicted marker too. */
  cut_mark_ambiguous: {
    terms: ['cuts', 'slits', 'slashes', 'scars', 'red lines', 'narben', 'cortes', 'cicatrices', 'cicatrizes', 'lamina', 'navaja', 'coupures', 'entailles', 'zakhm', 'ज़ख्म', '傷跡'],
  },
  /** Doing it to oneself. */
  self_marker: {
    terms: ['herself', 'himself', 'themselves', 'their own', 'her own', 'his own', 'on purpose', 'a proposito', 'de proposito', 'ela mesma', 'ele mesmo', 'ella misma', 'el mismo', 'elle meme', 'lui meme', 'sich selbst', 'absichtlich', 'dirinya', 'sendiri', 'sengaja', 'khud', 'apne', 'apni', 'खुद', 'अपने', '自分で', '自傷'],
  },
  /** Weak insults ("fat", "ugly", "stupid"): harassment only when aimed at someone as a depiction or a mockery. */
  insult_mild: {
    terms: ['fat', 'ugly', 'disgusting', 'stupid', 'dumb', 'brainless', 'smells', 'stinks', 'pig', 'cow', 'slob', 'freak', 'gorda', 'fea', 'feo', 'estupida', 'estupido', 'asquerosa', 'asqueroso', 'vaca', 'cerda', 'burra', 'grosse', 'moche', 'degueulasse', 'fett', 'fetten', 'hasslich', 'hasslichen', 'eklig', 'dumme', 'blode', 'fette', 'nojenta', 'nojento', 'feia', 'burra', 'gendut', 'jelek', 'bau', 'bego', 'babi', 'मोटा', 'मोटी', 'बेवकूफ', 'गंदी', 'moti', 'mota', 'bevkoof', 'bewakoof', 'デブ', 'バカ', 'ブサイク'],
  },
  /** Where self-harm cuts are made. */
  arm_part: {
    terms: ['wrist*', 'forearm*', 'arm', 'arms', 'thigh*', 'muneca*', 'brazo*', 'antebrazo*', 'muslo*', 'braco*', 'pulso*', 'antebraco*', 'coxa*', 'poignet*', 'bras', 'avant bras', 'cuisse*', 'handgelenk*', 'unterarm*', 'oberschenkel*', 'lengan', 'pergelangan', 'paha', 'kalai', 'bazu', 'कलाई', 'बांह', '手首', '腕', '太もも'],
  },
  /** Doctors and first aid treat cuts. */
  care_context: {
    terms: ['doctor', 'nurse', 'surgeon', 'surgery', 'stitch*', 'first aid', 'bandag*', 'paramedic*', 'hospital', 'medico', 'medica', 'enfermera', 'enfermeira', 'medecin', 'infirmiere', 'arzt', 'arztin', 'krankenschwester', 'dokter', 'perawat', 'डॉक्टर', 'doctor sahab', '医者', '看護師', '手当て', 'tattoo*'],
  },
  /** Someone being called names in public. */
  calling_word: {
    terms: ['calling', 'saying', 'says', 'que es', 'diciendo que', 'dizendo que', 'que e uma', 'qui traite', 'traite', 'traiter', 'traitant', 'nennt', 'nennen', 'bilang', 'menyebut', 'bertuliskan', 'bolke', 'कहकर', 'と書いた'],
  },
  /** Selling and delivering: with a drug, dealing. Alone, ordinary commerce. */
  trade: {
    terms: ['dealer', 'drug dealer', 'dealer service', 'delivered', 'dm for prices', 'for sale', 'selling', 'sell', 'vender', 'venderla', 'venda', 'vendre', 'revendre', 'verkaufen', 'verticken', 'jual', 'menjual', 'bechna', 'cash only', 'price list', 'menu', 'buy', 'comprar', 'acheter', 'kaufen', 'beli', 'kharidna', '売る', '売ります', '買う'],
  },
  /** Places of worship, targets of group violence. */
  place_of_worship: {
    terms: ['mosque', 'mosques', 'synagogue*', 'church', 'churches', 'temple', 'mezquita*', 'sinagoga*', 'iglesia*', 'mesquita*', 'igreja*', 'mosquee*', 'eglise*', 'moschee*', 'synagoge*', 'kirche*', 'masjid', 'gereja', 'मस्जिद', 'मंदिर', 'गुरुद्वारा', 'モスク', '教会'],
  },
  first_person_intent: {
    terms: [
      // more first-person intent
      'i ve got the pills', 'pills ready', 'done with life', 'i m done', 'nobody would miss me', 'no one would miss me', 'my funeral', 'my last sunset', 'kms', 'unalive myself', 'unalive', 'my goodbye', 'apni jaan', 'अपनी जान', 'jaan lena', 'जान लेना', 'pengen mati', 'ingin mati', 'aku mau mati', 'quero morrer', 'quiero morir', 'je veux mourir', 'ich will sterben', '死にたい', '消えたい',
      
      'chahta hoon', 'chahti hoon', 'chahta hu', 'chahti hu', 'karna chahta', 'karna chahti', 'चाहता हूं', 'चाहती हूं', 'चाहता हूँ', 'चाहती हूँ', 'me quiero', 'quiero',
      'i want to', 'i wanna', 'i m going to', 'i am going to', 'i will', 'i ll', 'i plan to', 'i need to', 'i m ready to', 'i am ready to', 'i have decided to', 'i m about to', 'i am about to', 'tonight i', 'help me', 'i should', 'i deserve to', 'i can t go on', 'my last', 'before i',
      'quiero', 'voy a', 'necesito', 'esta noche', 'eu quero', 'quero', 'vou', 'hoje a noite', 'je veux', 'je vais', 'ce soir', 'ich will', 'ich werde', 'ich mochte', 'heute nacht', 'aku ingin', 'aku mau', 'saya ingin', 'saya mau', 'aku akan', 'malam ini', 'मैं चाहता', 'मैं चाहती', 'मुझे', 'मैं करूंगा', 'मैं करूंगी', 'main chahta', 'main chahti', 'mujhe', 'mai chahta', 'mai chahti', 'main karunga', 'main karungi',
    ],
  },
};

export const DEFAULT_POLICY: SafetyPolicy = {
  version: 1,
  concepts,
  allow: [
    // photography, film, sport
    'shoot a photo', 'shoot photos', 'photo shoot', 'photoshoot', 'shooting a photo', 'shooting photos', 'shooting a film', 'shooting a movie', 'shooting a video', 'shooting a scene', 'shoot a film', 'shoot a movie', 'shoot a video', 'shoot the scene', 'shooting star*', 'shooting hoops', 'shoot hoops', 'shooting baskets', 'shooting range', 'shooting gallery game', 'bamboo shoots', 'new shoots', 'penalty shootout', 'photo bomb*', 'photobomb*', 'screen shot', 'screenshot*', 'close up shot', 'wide shot', 'espresso shot', 'shot glass',
    // kill / murder / beat in ordinary senses
    'kill the lights', 'kill time', 'killing time', 'killer whale*', 'killer app', 'killer heels', 'killer smile', 'dressed to kill', 'kill it', 'killing it', 'weed killer', 'pain killer*', 'painkiller*', 'murder mystery', 'murder of crows', 'murder mystery party', 'murder she wrote', 'beat the heat', 'beat eggs', 'beating eggs', 'drum beat', 'heartbeat', 'beat maker', 'beat up car', 'beaten path', 'execute a plan', 'executive', 'punch bowl', 'fruit punch', 'punch card', 'punchline', 'heart attack', 'shark attack', 'panic attack', 'asthma attack', 'attack on titan', 'attack helicopter toy', 'slaughterhouse five', 'torture test', 'lynchpin', 'linchpin', 'david lynch', 'jessica lynch', 'blow up a balloon', 'blow up balloons', 'blowing up balloons', 'blow up mattress', 'blow up the photo', 'blow up pool',
    // bombs, guns, explosives that are not
    'bath bomb*', 'seed bomb*', 'glitter bomb*', 'flavor bomb*', 'flavour bomb*', 'calorie bomb*', 'bomb shaped', 'shaped like a bomb', 'shaped like a grenade', 'bomb cake', 'bomb sniffing', 'bomb sniffer', 'bomb disposal', 'bomb squad', 'bomb shelter*', 'bombshell', 'f bomb', 'da bomb', 'bomb pop*', 'love bomb*', 'cherry bomb', 'bomber jacket*', 'photo bomber', 'bomba de semillas', 'bombas de semillas', 'bomba de sementes', 'bombe de graines', 'samenbombe*', 'bom biji', 'you re next in', 'you are next in', 'next in the queue', 'moby dick', 'philip k dick', 'dick tracy', 'dick van dyke', 'spotted dick', 'orgy of color*', 'orgy of colour*', 'orgy of flavor*', 'fake blood', 'fake wounds', 'stage blood', 'special effects makeup', 'sfx makeup', 'a granada', 'granada espana', 'granada spain', 'visitar granada', 'alhambra', 'die your hair', 'die my hair', 'die her hair', 'hair die', 'woman s portrait', 'man s portrait', 'girl s portrait', 'model s portrait', 'shooting a wedding', 'shooting a portrait', 'shooting a model', 'shooting a couple', 'shooting a family', 'family photo shoot', 'shooting a commercial', 'shooting an ad', 'bomba de bano', 'bombas de bano', 'paper bomb*', 'water bomb origami', 'origami bomb', 'arma de brinquedo', 'arma de juguete', 'arme jouet', 'undressing a mannequin', 'undress the mannequin', 'arma secreta', 'blowing up a photo', 'blow up a photo', 'blowing up a picture', 'blow up a balloon', 'jugo de granada', 'zumo de granada', 'semillas de granada', 'granada fruta', 'de granada', 'en granada', 'bombe de peinture', 'bombe aerosol', 'bombe de chantilly', 'bombe insecticide', 'school shooting drill', 'active shooter drill', 'lockdown drill', 'smoke bomb*', 'naked tree*', 'naked branch*', 'naked bulb', 'naked walls', 'naked wood', 'clean a rifle', 'clean a gun', 'cleaning a gun', 'gun cleaning', 'gun maintenance', 'party streamer*', 'water gun*', 'squirt gun*', 'glue gun*', 'hot glue gun*', 'nail gun*', 'staple gun*', 'nerf gun*', 'nerf', 'toy gun*', 'spray gun*', 'heat gun*', 'paint gun*', 'paintball gun*', 'gunmetal', 'gun metal', 'top gun', 'grease gun', 'caulk gun', 'caulking gun', 'radar gun', 'massage gun*', 'bubble gun*', 'laser gun*', 'ray gun*', 'glue-gun', 'gun safety', 'firearm safety', 'water pistol*', 'starting pistol', 'pistol shrimp', 'tattoo gun', 'gunslinger cowboy costume', 'bomba de agua', 'bomba de chocolate', 'bomba de crema', 'bomba de banho', 'bomba calorica', 'bombe de bain', 'bombe glacee', 'c est la bombe', 'pistola de agua', 'pistola de agua', 'pistola de cola', 'pistola de silicone', 'pistolet a eau', 'wasserpistole', 'heissklebepistole', 'pistol air', 'pistol lem', 'bom waktu cerita', 'bom asap', 'bom bom car', 'mainan pistol', 'पानी की बंदूक', 'paani ki bandook', '水鉄砲', 'おもちゃの銃', '水風船', 'バスボム', '爆弾おにぎり', '爆弾低気圧',
    // drawing / how-to that is about art, not the thing drawn
    'how to draw', 'how to paint', 'how to sketch', 'drawing tutorial', 'painting tutorial', 'drawing guide', 'step by step drawing', 'como dibujar', 'como desenhar', 'comment dessiner', 'wie zeichnet man', 'cara menggambar', 'कैसे चित्र बनाएं', 'kaise drawing banaye', '描き方', '塗り方',
    // blood, gore in ordinary senses
    'blood orange*', 'blood moon', 'blood type', 'blood donation', 'blood donor', 'donate blood', 'blood drive', 'blood pressure', 'blood test', 'blood cells', 'blood sugar', 'bloodhound*', 'blood red', 'blood-red', 'bloody mary', 'true blood', 'blood brothers', 'naranja sanguina', 'laranja sanguinea', 'orange sanguine', 'blutorange*', 'jeruk darah', 'donor darah', 'donar sangre', 'doar sangue', 'don du sang', 'blutspende*', 'blutdruck', 'रक्तदान', 'खून की जांच', 'blood donation camp', '献血', '血圧', '血液型', 'gore tex', 'goretex', 'al gore', 'gore free', 'gore verbier', 'gory details of the recipe',
    // nude as a colour, classical art, health, education
    'nude lipstick', 'nude lip*', 'nude color*', 'nude colour*', 'nude colored', 'nude coloured', 'nude tone*', 'nude palette', 'nude heels', 'nude pumps', 'nude shade*', 'nude nail*', 'nude makeup', 'nude beige', 'nude dress', 'nude sandals', 'nude tights', 'nude blush', 'nude manicure', 'nude eyeshadow', 'naked eye', 'naked flame', 'naked juice', 'naked cake', 'naked mole rat*', 'naked truth', 'the naked chef', 'barenaked ladies', 'naked wire', 'nu metal', 'sex education', 'sex ed', 'sex pistols', 'sex and the city', 'sexual health', 'sexual education', 'sexual orientation', 'sex of the', 'sex of this', 'sex of a', 'sex of your', 'determine the sex', 'pornography free', 'porn free', 'nudity free', 'strip mall', 'strip club sign', 'comic strip*', 'bacon strip*', 'strip of', 'strips of', 'led strip*', 'landing strip', 'strip steak', 'gaza strip', 'film strip', 'strip mining', 'the strip in las vegas', 'las vegas strip', 'cum laude', 'magna cum', 'summa cum', 'erect posture', 'standing erect', 'erected', 'cock a doodle*', 'cocktail*', 'peacock*', 'stopcock', 'cockpit', 'weathercock', 'pussy willow*', 'pussycat', 'pussy cat', 'kinder egg*', 'kinder surprise', 'kinder bueno', 'kindergarten teacher', 'breastfeeding', 'breast feeding', 'breast cancer', 'chicken breast*', 'breast stroke', 'breaststroke', 'seins de la mere', 'desnudo artistico del renacimiento', 'baby doll', 'babydoll', 'baby blue', 'baby pink', 'baby shower', 'baby face', 'baby bump', 'baby yoda', 'baby carrots', 'baby spinach', 'baby back ribs', 'sexy car', 'kid gloves', 'kidding', 'minor key', 'minor chord', 'minor league', 'minor injury', 'minor repair*', 'minor changes', 'minor details', 'minor planet', 'minor scratch*', 'teen titans', 'pelada de futebol', 'jogando pelada', 'bare trees', 'bare feet', 'barefoot', '裸足', '裸眼', '裸電球', '裸子植物', 'エッチング', 'エロンゲーション', 'エロス神', 'フォトエロ', '全裸監督', '少年野球', '少年サッカー', '少女漫画', '少年漫画', '小学生の絵', '子供服', 'ポルノグラフィティ', 'anak panah', 'anak tangga', 'anak sungai', 'anak perusahaan', 'anak kunci', 'ml of', 'ml water', 'ml susu', '500 ml', 'ml air', 'bh tinggi', 'jogando pelada', 'jogar pelada', 'jogam pelada', 'jogou pelada', 'pelada de futebol', 'bater uma pelada', 'batendo uma pelada', 'color nude', 'colour nude', 'batom nude', 'warna nude', 'tono nude', 'tom nude', 'couleur nude', 'nude farbe', 'farbe nude', 'lipstik nude', 'rouge nude', 'vestido nude', 'sapato nude', 'zapatos nude', 'joueuse de viol', 'joueur de viol', 'aatmhatya rokne', 'aatmhatya rok*', 'aatmhatya kaise rok*', 'atmahatya rok*', 'khudkushi rok*', 'आत्महत्या रोक*', 'आत्महत्या कैसे रोक*', 'aatmhatya rokthaam', 'atmahatya rokne', 'khudkushi rokne', 'आत्महत्या रोकने', 'oilseed rape', 'field of rape', 'rape field*', 'rapeseed', 'groping in the dark', 'groping for', 'viol player', 'bass viol', 'treble viol', 'cut myself a', 'cut myself some', 'white power ranger*', 'white power cable', 'white power cord', 'white power bank', 'white power strip', 'white power adapter', 'white power outlet', 'explosive color*', 'explosive colour*', 'explosive flavor*', 'explosive flavour*', 'explosive growth', 'explosive entrance', 'explosive energy', 'explosive action', 'gunpowder tea', 'bts dynamite', 'napoleon dynamite', 'jus de grenade', 'grenade fruit', 'graines de grenade', 'sirop de grenade', 'bomba de gasolina', 'bomba de bicicleta', 'bomba de agua', 'bomba de aire', 'spot counterfeit', 'detect counterfeit', 'spotting counterfeit', 'identify counterfeit', 'steal a kiss', 'stealing a kiss', 'steal the show', 'break into song', 'break into dance', 'break into a smile', 'break into laughter', 'no to drugs', 'say no to drugs', 'anti drug*', 'drug free', 'war on drugs', 'abuse awareness', 'abuse prevention', 'child abuse prevention', 'against child abuse', 'stop child abuse', 'child protection', 'talk about suicide', 'talking about suicide', 'suicide survivor*', 'suicide loss', 'overdose prevention', 'recognize an overdose', 'naloxone', 'chink in', 'chinks in', 'kaffir lime*', 'チョンマゲ', 'mocktail*', 'american bully', 'bully breed', 'bully stick*', 'いじめ防止', 'いじめ反対', 'anti bullying', 'stop bullying', 'bullying prevention', 'contra el acoso', 'anti mobbing', 'killing me softly', 'killing her softly', 'blue tit*', 'great tit*', 'coal tit*', 'tit bird*', 'bottle nipple*', 'nipple shield', 'topless bus', 'topless car', 'topless convertible', 'bottomless brunch', 'bottomless pit', 'bottomless fries', 'erection of', 'sexo do bebe', 'sexo del bebe', 'revelacao do sexo', 'revelacion del sexo', 'sexe du bebe', 'allaitement', 'おっぱいを飲', 'おっぱい飲', 'カロリ', 'フロリダ', 'コロリ', 'ゴロリ', 'トロリ', 'セロリ', 'ペドロ', 'アダルトチルドレン', '赤裸々', 'ゴアテックス', 'यौन शिक्षा', 'yaun shiksha', '脱衣所', '脱衣場',
    // extremism / history / religion
    'holocaust memorial', 'holocaust museum', 'holocaust remembrance', 'swastika in hindu', 'hindu swastika', 'swastik', 'स्वस्तिक', '卍', 'manji', 'nazi hunters', 'punch a nazi', 'raiders of the lost ark', 'grammar nazi', 'soup nazi', 'hero of the story', 'superhero*', 'super hero*', 'hero shot', 'hero image', 'hero section', 'hero banner', 'guitar hero', 'heroes of might', 'hamas ceasefire talks', 'saluting the flag at school', 'hidup sehat', 'hidup damai', 'jihad melawan kemiskinan',
    // suicide in names and idioms
    'suicide squad', 'suicide door*', 'suicide lane', 'suicide sprint*', 'suicide run*', 'suicide burpee*', 'suicide king', 'suicide prevention', 'suicide awareness', 'suicide hotline', 'suicide helpline', 'suicide crisis line', 'suicide crisis', 'self harm awareness', 'self harm prevention', 'self harm recovery', 'suicidio prevencion', 'prevencion del suicidio', 'prevencao do suicidio', 'setembro amarelo', 'prevention du suicide', 'suizidpravention', 'pencegahan bunuh diri', 'आत्महत्या रोकथाम', '自殺防止', '自殺予防', 'いのちの電話',
    // threats, hate and harassment idioms
    'no stupid questions', 'preventing child abuse', 'prevent child abuse', 'child abuse prevention', 'child abuse awareness', 'stop child abuse', 'report child abuse', 'against child abuse', 'you re next in line', 'you are next in line', 'next in line', 'you will pay at', 'kill the engine', 'kill switch', 'you re killing me', 'dying of laughter', 'i will paint', 'death to smoochy', 'mock up', 'mockup', 'mock ups', 'mockups', 'mock turtleneck', 'mock exam', 'mock trial', 'mocking bird', 'mockingbird', 'insulated', 'insulation', 'roast chicken', 'ugly sweater', 'ugly christmas sweater', 'ugly duckling', 'ugly betty', 'pig roast', 'guinea pig', 'piggy bank', 'clown fish', 'clownfish', 'trash can', 'garbage truck', 'hoe garden', 'garden hoe', 'freak show', 'control freak', 'fitness freak', 'creepy crawly', 'bitch please tshirt', 'stupid cupid', 'disgusting food challenge', 'evil queen', 'evil eye', 'evil villain', 'evil robot', 'evil witch', 'evil wizard', 'evil twin', 'evil dead', 'resident evil', 'evil knievel', 'the purge movie', 'spring purge', 'wardrobe purge', 'maine coon*', 'raccoon*', 'tycoon*', 'cocoon*', 'spic and span', 'spick and span', 'pakistani food', 'puta madre', 'cina daratan', 'bahasa cina', 'makanan cina', 'tahun baru cina', 'pigs in a blanket', 'pigs flying', 'three little pigs', 'angry birds pigs',
  ],
  categories: [
    {
      id: 'sexual/minors',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['kindergartner*', 
        'pedophile fantasy', 'pedophilic', 'pedophile art', 'pedophile porn', 'pedo art', 'pedo porn', 'pedofilia', 'pedophilie', 'padophilie', 'ペドフィリア', 'child porn*', 'kiddie porn*', 'kiddy porn*', 'cp porn', 'csam', 'child sexual abuse', 'loli', 'lolis', 'lolicon', 'lolita porn', 'shotacon', 'shota porn', 'shota hentai', 'ショタコン', 'ペドフィリア', 'ペド画像', 'jailbait', 'pedo porn', 'pedophile porn', 'preteen model*', 'underage nude*', 'underage sex', 'underage porn', 'teen porn', 'child erotica', 'naked child*', 'naked kid*', 'nude child*', 'nude kid*', 'child nude*', 'nacktes kind', 'nackte kinder', 'kind nackt', 'kinderporn*', 'kinderpornografie', 'pornografia infantil', 'pornografia infantil', 'pedopornografia', 'pedopornographie', 'pornographie infantile', 'pornografi anak', 'बाल अश्लील', 'बाल पोर्न', 'baal porn', 'bal ashleel', '児童ポルノ', 'ロリコン', '幼女 エロ', 'ジュニアアイドル', 'cheese pizza porn',
      ],
      rules: [{ all: ['minor', ['sexual_explicit', 'suggestive', 'abuse']] }],
    },
    {
      id: 'sexual/non-consensual',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['bajo la falda', 'debajo de la falda', 'sous la jupe', 'debaixo da saia', 'unter den rock', 'di bawah rok', 'スカートの中', '犯され', '犯す', '犯して', 'レイプ', '盗撮', 'rape', 'r a p e', 'non con hentai', 'forced themselves', 'force themselves on', 
        'rape', 'raped', 'raping', 'rape scene', 'sexual assault*', 'sexually assault*', 'molest*', 'date rape', 'revenge porn', 'upskirt*', 'downblouse', 'creepshot*', 'creep shot*', 'voyeur porn', 'hidden camera nude*', 'spycam porn', 'forced sex', 'forced to have sex', 'forced to strip', 'forcibly undressed', 'non consensual sex', 'nonconsensual porn', 'noncon', 'drugged and raped', 'groping', 'gropes', 'groped',
        'abusada sexualmente', 'abusado sexualmente', 'abusar sexualmente', 'agressee sexuellement', 'agresse sexuellement', 'sexuell missbraucht', 'sexuell belastigt', 'dilecehkan secara seksual', 'violacion', 'violada', 'violando', 'violar a', 'abuso sexual', 'agresion sexual', 'estupro', 'estuprada', 'estuprando', 'abuso sexual', 'pornografia de vinganca', 'viol', 'violee', 'violer', 'agression sexuelle', 'vergewaltigung', 'vergewaltigt', 'vergewaltig*', '*vergewaltigung', '*vergewaltigungen', 'sexueller ubergriff', 'racheporno*', 'pemerkosaan', 'diperkosa', 'memperkosa', 'perkosa', 'pelecehan seksual', 'बलात्कार', 'रेप', 'यौन उत्पीड़न', 'balatkar', 'rape karna', 'yaun utpeedan', 'レイプ', '強姦', '盗撮', '痴漢', 'リベンジポルノ', '性的暴行',
      ],
      rules: [{ all: ['nonconsent', ['sexual_explicit', 'suggestive']] }, { all: ['covert_camera', 'private_place'] }, { all: ['nonconsent', 'undress_act'] }],
    },
    {
      id: 'sexual/deepfake',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['deepfake porn', 'deepfake nude*', 'deep fake porn', 'deepnude*', 'nudify*', 'undress app', 'undress ai', 'celebrity nude*', 'celeb nude*', 'celebrity porn', 'celeb porn', 'fake nudes', 'leaked nudes', 'celebrity sex tape', 'アイコラ', 'ディープフェイクポルノ'],
      rules: [{ all: ['real_person', ['sexual_explicit', 'suggestive']] }, { all: ['deepfake_tool', ['sexual_explicit', 'suggestive']] }],
    },
    {
      id: 'self-harm/instructions',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['se donner la mort', 'me donner la mort', 'darse muerte', 'lethal amount', 'fatal dose', 'fatal amount', 'deadly dose', 'overdose amount', '死ねる方法', 'marne ka tarika', 'marne ka sabse', 'suicide method*', 'dosis letal', 'dose letal', 'dose mortelle', 'todliche dosis', 'dosis mematikan', '致死量', 'suicide instructions', 'suicide guide', 'suicide tutorial', 'how to commit suicide', 'how to kill myself', 'how to kill yourself', 'how to hang yourself', 'how to slit', 'lethal dose', 'painless way to die', 'painless suicide', 'best way to die', 'ways to kill yourself', 'self harm tutorial', 'how to self harm', 'how to cut yourself', 'metodos de suicidio', 'como suicidarse', 'como se suicidar', 'metodos de suicidio', 'comment se suicider', 'methodes de suicide', 'suizidmethoden', 'wie bringe ich mich um', 'cara bunuh diri', 'आत्महत्या कैसे', 'aatmhatya kaise', 'khudkushi kaise', '自殺の方法', '自殺方法', '楽に死ねる方法'],
      // A "suicide vest diagram" is about explosives (illicit/violent), not self-harm.
      rules: [{ all: [['instructions', 'instructions_verb'], 'self_harm_method'], none: ['explosive'] }],
    },
    {
      id: 'self-harm/intent',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['unalive myself', 'kms tonight', 'done with life', 'nobody would miss me', 'i want to disappear forever', 'better off dead', 'better off without me', 'no reason to live', 'end it all', 'apni jaan lena', 'अपनी जान लेना', 'जान लेना चाहता', 'jaan lena chahta', '死にたい', '消えたい', 'pengen mati aja', 'quero morrer', 'quiero morirme', 'je veux mourir', 'ich will sterben', 'no quiero vivir', 'ya no quiero vivir', 'nao quero mais viver', 'ne veux plus vivre', 'je ne veux plus vivre', 'ich mochte sterben', 'mochte nicht mehr leben', 'मुझे मरना है', 'मरना है', 'tidak ingin hidup', 'ga mau hidup lagi', '生きたくない', 'if i died', 'if i die', 'if i was dead', 'if i were dead', 'do it tonight', 'my goodbye letter', 'my goodbye note', 'my farewell letter', 'before i end it', 'me quito la vida', 'en finir avec la vie', 'veux en finir', 'slit my wrists', 'cut my wrists', 'cutting my wrists', 'hang myself', 'overdose tonight', 'acabar com a minha vida', 'acabar con mi vida', 'terminar con mi vida', 'quitarme la vida', 'tirar minha vida', 'mettre fin a ma vie', 'mettre fin a mes jours', 'meinem leben ein ende', 'mengakhiri hidup', 'mengakhiri hidupku', 'apni jaan de', 'jaan de dunga', 'jaan de dungi', 'zindagi khatam', 'जान दे दूंगा', 'जान दे दूंगी', '命を絶', 'envie de mourir', 'ganas de morir', 'vontade de morrer', 'nicht mehr leben', 'ingin mati', 'pengen mati', 'मरने का मन', 'marne ka man', '死にます', '死ぬつもり', '自殺します', '死のう', 'kill myself', 'killing myself', 'end my life', 'take my own life', 'want to die', 'wanna die', 'my suicide note', 'suicide note', 'end it all tonight', 'better off dead', 'cut myself', 'i want to disappear forever', 'quiero morir', 'me quiero matar', 'quiero matarme', 'quiero suicidarme', 'quero morrer', 'quero me matar', 'vou me matar', 'je veux mourir', 'je vais me suicider', 'je veux me tuer', 'ich will sterben', 'ich will mich umbringen', 'ich bringe mich um', 'aku ingin mati', 'aku mau mati', 'mau bunuh diri', 'ingin bunuh diri', 'मैं मरना चाहता', 'मैं मरना चाहती', 'मरना चाहता हूं', 'मरना चाहती हूं', 'mujhe marna hai', 'main marna chahta', 'main marna chahti', 'marna chahta hoon', 'marna chahti hoon', '死にたい', '自殺したい', '消えたい'],
      rules: [{ all: ['first_person_intent', 'self_harm_method'] }],
    },
    {
      id: 'hate/threatening',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['gas the jews', 'kill all jews', 'kill all muslims', 'race war now', 'ethnic cleansing', 'genocide of', 'lynch mob', 'day of the rope', 'final solution'],
      rules: [{ all: ['protected_group', 'group_violence'] }, { all: ['place_of_worship', 'group_violence'] }, { all: ['slur', ['group_violence', 'violent_act']] }],
    },
    {
      id: 'extremism',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['ハイルヒトラー', 'ハイル ヒトラー', '14 words', 'fourteen words', 'aryan brotherhood', 'heil hitler', 'sieg heil', 'white power', 'blood and soil', 'fourteen words', 'isis recruitment', 'jihadi recruitment', 'terrorist recruitment', 'join isis', 'join the jihad', 'nazi propaganda poster', 'hitlergruss', 'hitler gruss', 'great replacement'],
      rules: [
        { all: ['extremist_group', 'glorify'] },
        { all: ['extremist_group', 'propaganda'], none: ['education_context'] },
      ],
    },
    {
      id: 'illicit/violent',
      severity: 'critical',
      relaxable: false,
      enabled: true,
      terms: ['pipe bomb recipe', 'bomb making', 'bomb-making', 'bombmaking', 'ghost gun kit', 'homemade explosive*', 'homemade bomb*', 'homemade napalm', 'molotov cocktail recipe', 'convert to full auto', 'auto sear', '3d printed gun*', '3d printed firearm*', 'untraceable gun*', 'zip gun'],
      rules: [
        { all: [['instructions', 'instructions_verb'], ['explosive', 'cbrn', 'weapon_mod', 'weapon_harm']] },
        { all: ['construct', ['explosive', 'cbrn', 'weapon_mod']] },
        // A gun alone with "how to" is often harmless ("how to hold a rifle"); making one is not.
        { all: [['instructions', 'instructions_verb'], 'construct', 'weapon'] },
      ],
    },
    {
      id: 'harassment/threatening',
      severity: 'high',
      relaxable: false,
      enabled: true,
      terms: ['tujhe maar*', 'tujhe jaan se', 'तुझे मार*', 'तुझे मार दूंगा', 'तुझे मार डालूंगा', 'तुम्हें मार दूंगा', 'main tujhe maar dunga', 'death threat*', 'we know where you live', 'i know where you live', 'i will kill you', 'i ll kill you', 'i m going to kill you', 'gonna kill you', 'going to kill you', 'you re next', 'you are next', 'ich weiss wo du wohnst', 'se donde vives', 'sei onde voce mora', 'je sais ou tu habites', 'aku tahu rumahmu', 'amenaza de muerte', 'te voy a matar', 'ameaca de morte', 'vou te matar', 'menace de mort', 'je vais te tuer', 'morddrohung*', 'ich bringe dich um', 'ich bring dich um', 'ancaman pembunuhan', 'akan kubunuh', 'जान से मार दूंगा', 'जान से मारने की धमकी', 'jaan se maar dunga', 'jaan se marne ki dhamki', '殺害予告', '殺すぞ', '殺してやる'],
      rules: [{ all: ['threat', ['target', 'person']] }, { all: ['target', 'violent_act', 'insult'] }],
    },
    {
      id: 'self-harm',
      severity: 'high',
      relaxable: false,
      enabled: true,
      terms: ['starving herself', 'starving himself', 'makes herself throw up', 'makes himself throw up', 'hurting herself', 'hurting himself', 'hurts herself', 'hurts himself', 'harming herself', 'harming himself', 'cigarette burns on her', 'cigarette burns on his', 'se lastima', 'se machuca', 'se fait du mal', 'verletzt sich selbst', 'melukai dirinya', 'menyakiti diri', 'khud ko chot', 'खुद को चोट', '自傷', '自分を傷つけ', 'cutting himself', 'cutting herself', 'cutting themselves', 'cuts himself', 'cuts herself', 'burning their arm', 'burning his arm', 'burning her arm', 'on purpose', 'a proposito', 'de proposito', 'expres', 'absichtlich', 'sengaja', 'kalai kaat*', 'kalai kat*', 'कलाई काट*', 'pergelangan tangannya', 'menyilet', 'silet', '腕を切', 'リストカット', 'リスカ', 'banging his head', 'pulling out her hair', 'pulling out his hair', 'ritzt sich', 'se cortando', 'se cortar', 'quemandose', 'se brulant', 'se scarifie', 'suicide', 'suicidal', 'self harm', 'self-harm', 'selfharm', 'self injury', 'self mutilation', 'self-mutilation', 'cortandose los brazos', 'cortandose', 'se corta los brazos', 'self inflicted', 'shooting himself', 'shooting herself', 'shot himself', 'shot herself', 'gun to his own head', 'gun in his mouth', 'gun in her mouth', 'kill herself', 'kill himself', 'to kill herself', 'to kill himself', 'se pend', 'se pendre', '手首を切', 'slicing her arm', 'slicing his arm', 'cutting her arm', 'cutting his arm', 'cutting her skin', 'razor to her wrist', 'razor to his wrist', 'hanging from a noose', 'hanging from a rope', 'hanged from', 'hanging by the neck', 'noose around', 'se mutile', 'se scarifie', 'se taillade', 'automutil*', 'menyayat pergelangan', 'menyayat tangan', 'cutting myself', 'cutting herself', 'cutting himself', 'cutting themselves', 'cutting her wrists', 'cutting his wrists', 'slit wrists', 'slit her wrists', 'slit his wrists', 'slitting wrists', 'slitting her wrists', 'slashed wrists', 'cut wrists', 'hanging himself', 'hanging herself', 'hanging themselves', 'hanged himself', 'hanged herself', 'hangs himself', 'hangs herself', 'noose around her neck', 'noose around his neck', 'kill themselves', 'killing themselves', 'killing himself', 'killing herself', 'kills himself', 'kills herself', 'shoots himself', 'shoots herself', 'jumping to her death', 'jumping to his death', 'jumps to her death', 'overdosing on pills', 'overdose on pills', 'pro ana', 'proana', 'thinspo', 'thinspiration', 'starving herself', 'starving himself', 'razor blade scars', 'self harm scars', 'fresh cuts on her arm', 'fresh cuts on his arm',
        'suicidio', 'suicida', 'se suicida', 'suicidandose', 'autolesion*', 'cortandose las munecas', 'se ahorca', 'se ahorco', 'ahorcandose', 'suicidio', 'se matando', 'automutilacao', 'se cortando', 'se enforcando', 'suicide', 'se suicide', 'se suicidant', 'automutilation', 'se pendant', 'se tranche les veines', 'selbstmord', 'suizid*', 'selbstverletzung', 'ritzen', 'ritzt', 'sich ritzt', 'ritzte', 'sich ritzen', 'erhangt', 'erhangen', 'bunuh diri', 'melukai diri', 'menyayat tangan', 'menggantung diri', 'gantung diri', 'आत्महत्या', 'खुदकुशी', 'ख़ुदकुशी', 'फांसी लगा', 'फंदे से लटक', 'नस काट', 'aatmhatya', 'atmahatya', 'khudkushi', 'fansi laga', 'phansi laga', 'phande se latak', 'nas kaat', '自殺', '首吊り', '首を吊', 'リストカット', 'リスカ', '自傷', '飛び降り自殺'],
      // Cuts on the wrist or arm, away from a doctor or a tattoo parlour.
      rules: [{ all: ['cut_mark', 'arm_part'], none: ['care_context'] }, { all: ['cut_mark_ambiguous', 'arm_part', ['blood', 'self_marker', 'cut_mark']], none: ['care_context'] }],
      allow: ['suicide bomb*', 'suicide vest*', 'suicide attack*', 'suicide mission', 'suicide squad', 'atentado suicida', 'attentat suicide', 'selbstmordattent*', 'bom bunuh diri', '自爆'],
    },
    {
      id: 'hate',
      severity: 'high',
      relaxable: false,
      enabled: true,
      terms: ['no blacks', 'no jews', 'no muslims', 'no mexicans', 'no irish', 'no gays', 'whites only', 'no dogs no', 'no indians', 'antisemitic caricature*', 'anti semitic caricature*', 'racist caricature*', 'racist cartoon*', 'racist meme*', 'racist propaganda', 'blackface', 'hook nosed jew*', 'holocaust never happened', 'holocaust denial', 'holocaust is a hoax', 'holohoax', 'holocaust hoax', 'holocaust was fake', 'happy merchant', 'jews control', 'jewish conspiracy', 'zionist occupied', 'white genocide', 'islamophobic cartoon*', 'homophobic meme*', 'transphobic meme*', 'caricatura racista', 'caricatura antisemita', 'caricature raciste', 'caricature antisemite', 'rassistische karikatur*', 'karikatur rasis', 'नस्लवादी कार्टून'],
      rules: [{ all: ['slur'] }, { all: ['protected_group', 'dehumanizing'] }, { all: ['protected_group', 'animal_word', 'depicted_as'] }, { all: ['group_adj', 'stereotype'] }],
    },
    {
      id: 'violence/graphic',
      severity: 'high',
      relaxable: true,
      enabled: true,
      terms: ['gore', 'gory', 'goriest', 'guro', 'beheading', 'beheaded', 'beheads', 'decapitat*', 'dismember*', 'disembowel*', 'eviscerat*', 'mutilat*', 'entrails', 'intestines spilling', 'guts spilling', 'spilled guts', 'severed head*', 'mangled corpse*', 'mangled body', 'guts out', 'mutile', 'mutilee', 'mutiles', 'dimutilasi', 'कटा हुआ सिर', 'कटा सिर', '切断された頭', '切断された腕', '切断された足', '切断された遺体', '切断された死体', '頭部切断', 'blood gushing', 'gushing blood', 'slit throat', 'slitting his throat', 'slitting her throat', 'slitting someone s throat', 'slitting their throat', 'cutting his throat', 'cutting her throat', 'throat cut', 'throat slit', 'severed limb*', 'severed arm*', 'severed leg*', 'blood everywhere', 'pool of blood', 'blood splatter*', 'blood spatter*', 'splattered brains', 'brains blown out', 'brains splattered', 'brain splatter', 'skinned human', 'skinned body', 'skinned corpse', 'leg ripped off', 'arm ripped off', 'destripad*', 'estripad*', 'brain matter', 'exposed organs', 'flayed', 'skinned alive', 'burned alive', 'burnt alive', 'torn flesh', 'rotting corpse*', 'mangled body', 'mangled bodies', 'bloodbath', 'blew his brains out', 'brains blown', 'head blown off', 'torn off', 'ripped off his', 'ripping out', 'eating intestines', 'eating flesh', 'tearing flesh', 'cannibal*', 'blood bath', 'blood-soaked corpse', 'snuff film', 'faces of death', 'splatter horror',
        'decapitad*', 'decapitacion', 'desmembrad*', 'visceras', 'charco de sangre', 'cuerpo mutilado', 'degollad*', 'esquartejad*', 'eventre*', 'sang partout', 'du sang partout', 'blood all over', 'sangre por todas partes', 'sangue por todo lado', 'uberall blut', 'darah di mana mana', 'poca de sangue', 'corpo mutilado', 'decapite*', 'demembre*', 'visceres', 'mare de sang', 'egorge*', 'enthauptet*', 'enthauptung', 'zerstuckelt*', 'eingeweide', 'blutlache', 'verstummelte leiche', 'dipenggal', 'mutilasi', 'isi perut terburai', 'genangan darah', 'mayat termutilasi', 'सिर कटा', 'सिर काट', 'कटी हुई लाश', 'खून से लथपथ लाश', 'sar kata', 'sir kata', 'sir kaat', 'kati hui laash', 'khoon se lathpath laash', 'ゴア', 'グロ画像', 'グロテスクな死体', '斬首', 'バラバラ死体', '惨殺', '血の海', '内臓が', '臓物'],
      allow: ['gore tex', 'al gore', 'gore free', 'gory details of the recipe'],
      rules: [{ all: ['blood', 'injury'] }, { all: ['gore_verb', 'gore_inner'] }, { all: ['alive_torture', 'alive'] }, { all: ['gore_adj', 'corpse_word'] }],
    },
    {
      id: 'violence',
      severity: 'medium',
      relaxable: true,
      enabled: true,
      terms: ['opening fire', 'opens fire', 'open fire on', 'opened fire', 'shoot up my school', 'shoot up the school', 'shoot up a school', 'shoot up my office', 'head blown off', 'blown to pieces', 'mass shooting', 'school shooting', 'shooting spree', 'massacre', 'massacres', 'firing squad', 'public execution', 'beaten to death', 'stabbed to death', 'shot dead', 'gunned down', 'torture scene', 'torture chamber', 'lynching', 'suicide bomb*', 'suicide attack*', 'car ramming', 'drive by shooting', 'terror attack*', 'terrorist attack*', 'pogrom', 'domestic abuse scene', 'animal cruelty', 'strangling', 'tiroteo masivo', 'tiroteo en una escuela', 'masacre', 'fusilamiento', 'atentado suicida', 'chacina', 'massacre', 'tiroteio em escola', 'fusillade', 'attentat suicide', 'amoklauf', 'schulmassaker', 'massaker', 'selbstmordattent*', 'penembakan massal', 'pembantaian', 'bom bunuh diri', 'नरसंहार', 'लिंचिंग', 'मॉब लिंचिंग', 'mob lynching', 'narsanhar', '銃乱射', '虐殺', '自爆テロ', '通り魔'],
      allow: ['victims of a school shooting', 'victims of the school shooting', 'school shooting victims', 'school shooting memorial', 'school shooting survivors', 'mass shooting victims', 'mass shooting memorial', 'victims of a mass shooting', 'victims of the massacre', 'massacre memorial'],
      rules: [{ all: ['violent_act', 'person'] }],
    },
    {
      id: 'sexual',
      severity: 'high',
      relaxable: true,
      enabled: true,
      terms: [],
      rules: [{ all: ['sexual_explicit'], none: ['art_context'] }, { all: ['sexual_act'] }],
    },
    {
      id: 'harassment',
      severity: 'medium',
      relaxable: true,
      enabled: true,
      terms: ['make fun of this', 'making fun of this', 'kill yourself', 'go kill yourself', 'go die', 'you should die', 'drink bleach', 'cyberbully*', 'slut shaming', 'slut shame', 'humiliating meme', 'revenge meme', 'doxxing', 'doxing', 'ugly fat pig', 'kill yourself loser', 'kys'],
      rules: [{ all: ['target', ['harass_act', 'insult']] }, { all: ['harass_act', ['insult', 'slur']] }, { all: ['calling_word', 'insult'] }, { all: ['target', 'insult_mild', 'depicted_as'] }, { all: ['harass_act', 'insult_mild'] }],
    },
    {
      id: 'illicit',
      severity: 'medium',
      relaxable: true,
      enabled: true,
      terms: ['fake passport', 'forged passport', 'fake id card', 'passaporte falso', 'pasaporte falso', 'faux passeport', 'paspor palsu', 'gefalschter reisepass', 'cook meth', 'cooking meth', 'meth recipe', 'meth lab instructions', 'counterfeit money', 'counterfeit bills', 'counterfeit banknotes', 'counterfeit currency', 'fake id template', 'fake passport template', 'forged passport', 'how to shoplift', 'dinero falso', 'billetes falsos', 'dinheiro falso', 'fausse monnaie', 'faux billets', 'falschgeld', 'uang palsu', 'नकली नोट', 'nakli note', '偽札'],
      rules: [{ all: [['instructions', 'instructions_verb'], ['drug', 'illicit_act']] }, { all: ['construct', 'drug'] }, { all: ['illicit_act', 'construct'] }, { all: ['drug', ['illicit_act', 'trade']] }],
    },
  ],
};
