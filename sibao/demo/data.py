"""The tables the demo data is drawn from: the organisations of both work plans, places, name pools.

Organisations and units follow the two seed documents: the Guancheng district plan (管城回族区, 9 June
2022; local units are the street offices and the Jindai industrial cluster) and the Jiaozuo city plan
(焦作市; local units are the county/district governments and the city's urban-rural integration zone).
People's names, firms and phone numbers are invented.
"""

from dataclasses import dataclass, field

# The random seed: the date of the Guancheng work plan. The same seed always gives the same data.
SEED = 20220609

# The one password of every demo account (passes Django's validators: length >= 10, not common, not numeric).
DEMO_PASSWORD = "Sibao@2026demo"

# The whole province; the superuser's and the seeding audit event's region.
PROVINCE = "410000"

SECTORS = ("industry", "commerce", "transport", "culture_tourism", "key_project")

# Short usernames of the sector departments' officials.
SECTOR_SLUGS = {
    "industry": "industry",
    "commerce": "commerce",
    "transport": "transport",
    "culture_tourism": "culture",
    "key_project": "project",
}


@dataclass(frozen=True)
class OrgSpec:
    """An organisation of a work plan. `key` names it inside the demo builder; `host` is the body it sits in."""

    key: str
    name: str
    short_name: str
    kind: str
    sector: str = ""
    region: str = ""  # defaults to the jurisdiction
    host: str = ""


@dataclass(frozen=True)
class LocalUnit:
    """A local unit (属地): a street office, the Jindai cluster, a county government, the demo zone."""

    region: str
    org_name: str
    short_name: str
    slug: str


@dataclass(frozen=True)
class Jurisdiction:
    """One of the two seeded jurisdictions: its organisations, local units and how its firms are spread."""

    key: str  # username prefix: gc / jz
    region: str
    name: str
    city_name: str
    orgs: tuple[OrgSpec, ...]
    local_units: tuple[LocalUnit, ...]
    local_username: str  # gc_street_<slug> / jz_county_<slug>
    enterprise_count: int
    # (region code, weight, industrial?) — where firms are placed; industrial places draw more factories,
    # logistics and projects, central ones more shops, hotels and culture.
    places: tuple[tuple[str, float, bool], ...]
    # Prefixes of firm names and their weights; "{county}" is the short name of the firm's county.
    name_prefixes: tuple[tuple[str, float], ...]
    project_places: tuple[str, ...]
    roads: tuple[str, ...]
    industry_divisions: dict[str, float] = field(default_factory=dict)
    # Who holds the non-sector roles: role -> org key.
    role_orgs: dict[str, str] = field(default_factory=dict)


GUANCHENG = Jurisdiction(
    key="gc",
    region="410104",
    name="管城回族区",
    city_name="郑州市",
    orgs=(
        OrgSpec(
            "dispatch",
            "区常态化疫情防控下经济运行调度机制指挥部办公室",
            "区经济运行调度办",
            "dispatch_office",
            host="区发展和改革委员会",
        ),
        OrgSpec("prevention", "区疫情防控指挥部办公室", "区疫情防控办", "prevention_hq"),
        OrgSpec("industry", "区工业和信息化局", "区工信局", "sector_department", "industry"),
        OrgSpec("commerce", "区商务局", "区商务局", "sector_department", "commerce"),
        OrgSpec("transport", "区城乡建设和交通运输局", "区建设交通局", "sector_department", "transport"),
        OrgSpec("culture_tourism", "区文化旅游体育局", "区文旅体局", "sector_department", "culture_tourism"),
        OrgSpec("key_project", "区发展和改革委员会", "区发改委", "sector_department", "key_project"),
        OrgSpec("health", "区卫生健康委员会", "区卫健委", "department"),
        OrgSpec("tax", "区税务局", "区税务局", "department"),
        OrgSpec("finance", "区财政局", "区财政局", "department"),
        OrgSpec("data", "区政务服务和大数据管理局", "区大数据局", "department"),
        OrgSpec("hr", "区人力资源和社会保障局", "区人社局", "department"),
        OrgSpec("government", "管城回族区人民政府", "区政府", "leadership"),
    ),
    local_units=(
        LocalUnit("410104001", "北下街街道办事处", "北下街街道", "beixiajie"),
        LocalUnit("410104002", "西大街街道办事处", "西大街街道", "xidajie"),
        LocalUnit("410104003", "南关街街道办事处", "南关街街道", "nanguanjie"),
        LocalUnit("410104004", "城东路街道办事处", "城东路街道", "chengdonglu"),
        LocalUnit("410104005", "东大街街道办事处", "东大街街道", "dongdajie"),
        LocalUnit("410104006", "二里岗街道办事处", "二里岗街道", "erligang"),
        LocalUnit("410104007", "陇海马路街道办事处", "陇海马路街道", "longhaimalu"),
        LocalUnit("410104008", "紫荆山南路街道办事处", "紫荆山南路街道", "zijingshannanlu"),
        LocalUnit("410104009", "航海东路街道办事处", "航海东路街道", "hanghaidonglu"),
        LocalUnit("410104010", "十八里河街道办事处", "十八里河街道", "shibalihe"),
        LocalUnit("410104011", "南曹街道办事处", "南曹街道", "nancao"),
        LocalUnit("410104012", "金岱产业集聚区管委会", "金岱管委会", "jindai"),
        LocalUnit("410104202", "圃田乡人民政府", "圃田乡", "putian"),
        LocalUnit("410104570", "商都路街道办事处", "商都路街道", "shangdulu"),
    ),
    local_username="gc_street_{slug}",
    enterprise_count=120,
    places=(
        ("410104001", 4, False),
        ("410104002", 4, False),
        ("410104003", 4, False),
        ("410104004", 5, False),
        ("410104005", 5, False),
        ("410104006", 6, False),
        ("410104007", 6, False),
        ("410104008", 6, False),
        ("410104009", 7, False),
        ("410104010", 9, True),
        ("410104011", 12, True),
        ("410104012", 14, True),
        ("410104202", 8, True),
        ("410104570", 6, False),
    ),
    name_prefixes=(("郑州", 55), ("河南", 20), ("管城", 15), ("郑州市管城区", 10)),
    project_places=("管城区", "郑州市管城区", "{street}", "{street}"),
    roads=(
        "商城路",
        "城东路",
        "紫荆山南路",
        "航海东路",
        "南三环",
        "中州大道",
        "未来路",
        "商都路",
        "金岱路",
        "南曹路",
        "郑新路",
        "陇海东路",
        "城南路",
        "东大街",
        "西大街",
        "宇工路",
        "四港联动大道",
    ),
    industry_divisions={
        "13": 2,
        "14": 5,
        "15": 1,
        "18": 2,
        "23": 2,
        "27": 2,
        "29": 1,
        "30": 1,
        "33": 2,
        "34": 2,
        "35": 2,
        "38": 2,
        "39": 2,
        "40": 1,
    },
    role_orgs={
        "admin": "data",
        "dispatcher": "dispatch",
        "prevention_official": "prevention",
        "cadre": "industry",
        "auditor": "data",
        "checkpoint": "transport",
    },
)

JIAOZUO = Jurisdiction(
    key="jz",
    region="410800",
    name="焦作市",
    city_name="焦作市",
    orgs=(
        OrgSpec(
            "dispatch",
            "市常态化疫情防控下经济运行调度机制指挥部办公室",
            "市经济运行调度办",
            "dispatch_office",
            host="市发展改革委",
        ),
        OrgSpec("prevention", "市疫情防控指挥部办公室", "市疫情防控办", "prevention_hq"),
        OrgSpec("industry", "市工业和信息化局", "市工信局", "sector_department", "industry"),
        OrgSpec("commerce", "市商务局", "市商务局", "sector_department", "commerce"),
        OrgSpec("transport", "市交通运输局", "市交通局", "sector_department", "transport"),
        OrgSpec("culture_tourism", "市文化广电和旅游局", "市文广旅局", "sector_department", "culture_tourism"),
        OrgSpec("key_project", "市发展改革委", "市发改委", "sector_department", "key_project"),
        OrgSpec("health", "市卫生健康委", "市卫健委", "department"),
        OrgSpec("finance", "市财政局", "市财政局", "department"),
        OrgSpec("tax", "市税务局", "市税务局", "department"),
        OrgSpec("data", "市政务服务和大数据管理局", "市大数据局", "department"),
        OrgSpec("government", "焦作市人民政府", "市政府", "leadership"),
    ),
    local_units=(
        LocalUnit("410802", "解放区人民政府", "解放区", "jiefang"),
        LocalUnit("410803", "中站区人民政府", "中站区", "zhongzhan"),
        LocalUnit("410804", "马村区人民政府", "马村区", "macun"),
        LocalUnit("410811", "山阳区人民政府", "山阳区", "shanyang"),
        LocalUnit("410821", "修武县人民政府", "修武县", "xiuwu"),
        LocalUnit("410822", "博爱县人民政府", "博爱县", "boai"),
        LocalUnit("410823", "武陟县人民政府", "武陟县", "wuzhi"),
        LocalUnit("410825", "温县人民政府", "温县", "wenxian"),
        LocalUnit("410871", "市城乡一体化示范区管委会", "示范区", "shifanqu"),
        LocalUnit("410882", "沁阳市人民政府", "沁阳市", "qinyang"),
        LocalUnit("410883", "孟州市人民政府", "孟州市", "mengzhou"),
    ),
    local_username="jz_county_{slug}",
    enterprise_count=150,
    places=(
        # 解放区 streets
        ("410802001", 3, False),
        ("410802002", 3, False),
        ("410802003", 3, False),
        ("410802004", 3, False),
        ("410802005", 3, False),
        ("410802006", 3, False),
        ("410802007", 2, False),
        ("410802008", 3, True),
        ("410802009", 2, True),
        # 山阳区 streets
        ("410811001", 3, False),
        ("410811002", 3, False),
        ("410811003", 3, False),
        ("410811004", 3, False),
        ("410811005", 2, False),
        ("410811006", 2, False),
        ("410811007", 3, True),
        ("410811008", 3, True),
        ("410811009", 3, False),
        # 武陟县 streets and towns
        ("410823001", 3, False),
        ("410823002", 3, True),
        ("410823003", 2, False),
        ("410823004", 2, True),
        ("410823101", 4, True),
        ("410823102", 2, True),
        ("410823103", 2, True),
        ("410823104", 2, True),
        ("410823107", 1, True),
        ("410823108", 1, True),
        # 城乡一体化示范区 streets and towns
        ("410871060", 3, False),
        ("410871061", 3, False),
        ("410871062", 3, False),
        ("410871100", 3, True),
        ("410871101", 3, True),
        ("410871203", 2, True),
        # other counties, at county level
        ("410803", 6, True),
        ("410804", 5, True),
        ("410821", 5, True),
        ("410822", 6, True),
        ("410825", 6, True),
        ("410882", 8, True),
        ("410883", 8, True),
    ),
    name_prefixes=(("焦作", 55), ("河南", 15), ("{county}", 30)),
    project_places=("焦作市", "{county}", "{street}"),
    roads=(
        "人民路",
        "解放路",
        "塔南路",
        "丰收路",
        "民主路",
        "建设路",
        "山阳路",
        "迎宾路",
        "世纪路",
        "新园路",
        "中原路",
        "南通路",
        "太行路",
        "文昌路",
        "神州路",
        "工业路",
        "产业集聚区纬二路",
    ),
    industry_divisions={
        "13": 2,
        "14": 2,
        "15": 1,
        "22": 2,
        "26": 4,
        "27": 3,
        "29": 2,
        "30": 2,
        "31": 1,
        "32": 2,
        "33": 2,
        "34": 3,
        "35": 3,
        "36": 4,
        "38": 2,
        "39": 1,
    },
    role_orgs={
        "admin": "data",
        "dispatcher": "dispatch",
        "prevention_official": "prevention",
        "cadre": "industry",
        "auditor": "data",
        "checkpoint": "transport",
    },
)

JURISDICTIONS = (GUANCHENG, JIAOZUO)

# How a project names the place it is built in, where the division's own name is not what people say.
PLACE_NAMES = {"410104012": "金岱产业集聚区"}

# Anchor manufacturers per jurisdiction: output around a billion yuan and over a thousand staff each.
ANCHORS = 3

# Share of each sector among the firms of a jurisdiction.
SECTOR_WEIGHTS = {"industry": 40, "commerce": 24, "transport": 15, "culture_tourism": 10, "key_project": 11}

# Weights of the province-scale set's industry divisions.
PROVINCE_INDUSTRY_DIVISIONS = {
    "13": 4,
    "14": 4,
    "15": 2,
    "17": 2,
    "18": 2,
    "22": 1,
    "23": 1,
    "26": 3,
    "27": 2,
    "29": 2,
    "30": 3,
    "31": 1,
    "32": 2,
    "33": 3,
    "34": 3,
    "35": 3,
    "36": 3,
    "38": 3,
    "39": 2,
    "40": 1,
}

# GB/T 4754 division -> (section, product words a firm of the division is named with).
INDUSTRY_PRODUCTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "13": ("C", ("粮油", "面粉", "肉制品", "饲料", "农产品加工")),
    "14": ("C", ("食品", "速冻食品", "乳业", "调味品", "烘焙食品")),
    "15": ("C", ("饮品", "啤酒", "酒业", "饮用水")),
    "17": ("C", ("纺织", "棉纺")),
    "18": ("C", ("服饰", "制衣")),
    "22": ("C", ("纸业", "包装材料")),
    "23": ("C", ("印务", "彩印包装")),
    "26": ("C", ("化工", "新材料", "精细化工", "氟化工")),
    "27": ("C", ("药业", "制药", "生物医药")),
    "29": ("C", ("轮胎", "塑业", "橡胶制品")),
    "30": ("C", ("建材", "耐火材料", "水泥", "玻璃")),
    "31": ("C", ("特钢", "钢管")),
    "32": ("C", ("铝业", "铜业", "有色金属")),
    "33": ("C", ("金属制品", "钢结构")),
    "34": ("C", ("机械制造", "泵业", "轴承")),
    "35": ("C", ("重工", "矿山机械", "装备制造")),
    "36": ("C", ("汽车零部件", "汽车配件", "专用汽车")),
    "38": ("C", ("电气", "电缆", "电器")),
    "39": ("C", ("电子科技", "光电")),
    "40": ("C", ("仪表", "仪器")),
}

# Utilities, registered under the industry sector and flagged city-operation support.
UTILITIES: tuple[tuple[str, str], ...] = (("44", "热力"), ("44", "供电"), ("45", "燃气"), ("46", "水务"))

# sector -> [(section, division, product words, weight, city-operation-support probability)]
SECTOR_TRADES: dict[str, tuple[tuple[str, str, tuple[str, ...], float, float], ...]] = {
    "commerce": (
        ("F", "51", ("商贸", "供应链管理", "粮油贸易", "医药"), 5, 0.2),
        ("F", "51", ("农产品批发市场经营管理",), 1, 0.9),
        ("F", "52", ("超市连锁", "生鲜超市", "便利店连锁"), 3, 0.8),
        ("F", "52", ("百货", "大药房连锁", "汽车销售服务"), 3, 0.2),
        ("H", "61", ("酒店管理", "宾馆"), 1, 0.0),
        ("H", "62", ("餐饮管理", "团餐服务", "餐饮服务"), 2, 0.4),
    ),
    "transport": (
        ("G", "53", ("铁路货运",), 0.5, 0.6),
        ("G", "54", ("物流", "运输", "冷链物流", "货运"), 6, 0.5),
        ("G", "54", ("公共交通", "客运"), 1, 0.9),
        ("G", "58", ("国际货运代理", "多式联运"), 1, 0.3),
        ("G", "59", ("仓储", "冷链仓储", "物流园管理"), 3, 0.6),
        ("G", "60", ("快递", "速递"), 1.5, 0.8),
    ),
    "culture_tourism": (
        ("R", "86", ("报业传媒", "出版"), 1, 0.0),
        ("R", "87", ("影城", "影视文化"), 2, 0.0),
        ("R", "88", ("文化艺术", "演艺", "文化旅游发展"), 3, 0.0),
        ("R", "89", ("体育发展", "健身"), 1.5, 0.0),
        ("R", "90", ("游乐", "文化娱乐", "景区运营管理"), 2, 0.0),
        ("H", "61", ("酒店", "国际酒店", "民宿管理"), 2.5, 0.0),
    ),
}

# Key projects: (division, what is built). Section E, 47-50.
PROJECT_THINGS: tuple[tuple[str, str], ...] = (
    ("47", "智能制造产业园建设项目"),
    ("47", "食品产业园二期工程"),
    ("47", "新材料产业园建设项目"),
    ("47", "安置房建设项目"),
    ("47", "保障性租赁住房项目"),
    ("47", "医院新院区建设项目"),
    ("47", "学校新建工程"),
    ("47", "数据中心建设项目"),
    ("47", "标准化厂房建设项目"),
    ("48", "冷链物流园建设项目"),
    ("48", "综合物流枢纽建设项目"),
    ("48", "道路改造提升工程"),
    ("48", "污水处理厂提标改造工程"),
    ("48", "城市综合管廊工程"),
    ("48", "雨污分流改造工程"),
    ("49", "变电站新建工程"),
    ("49", "分布式光伏发电项目"),
    ("50", "老旧小区改造提升工程"),
    ("50", "历史文化街区保护提升工程"),
)

# Syllables of invented firm brands (字号).
BRAND_CHARS = "华鑫盛恒通宏德昌瑞泰嘉远达丰源信荣隆兴宇祥金润安博卓众豫中天佳汇正新利康广永凯航晟易联"

SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7),
    ("李", 7),
    ("张", 7),
    ("刘", 5),
    ("陈", 3),
    ("杨", 3),
    ("赵", 3),
    ("郭", 2),
    ("马", 2.5),
    ("孙", 2),
    ("周", 2),
    ("吴", 1),
    ("徐", 1),
    ("胡", 1),
    ("朱", 1),
    ("高", 1.5),
    ("宋", 1.5),
    ("韩", 1),
    ("许", 1),
    ("何", 1),
    ("冯", 1),
    ("程", 1),
    ("曹", 1),
    ("田", 1),
    ("袁", 1),
    ("魏", 1),
    ("范", 1),
    ("贾", 1),
    ("常", 1),
    ("崔", 1),
    ("岳", 0.5),
    ("牛", 0.5),
    ("秦", 0.5),
    ("乔", 0.5),
    ("白", 0.5),
    ("苗", 0.5),
    ("申", 0.5),
    ("海", 0.3),
)
GIVEN_CHARS = (
    "建国伟军明志华文俊磊强勇涛杰峰鹏辉斌刚超浩宇晨凯亮新红丽静芳敏燕娟霞玲"
    "婷雪颖慧琳欣佳悦梦晓海振卫永春秋东利平学成亚中洁艳萍林冰瑞鑫"
)

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
)

# Partners outside the registry: what a supplier provides / what a customer does, with a trade word.
SUPPLIER_TRADES: dict[str, tuple[tuple[str, str], ...]] = {
    "industry": (
        ("钢铁", "原材料：钢材"),
        ("化工", "原材料：化工原料"),
        ("包装材料", "包装材料"),
        ("塑料制品", "零部件"),
        ("电子元件", "零部件"),
        ("物流", "物流运输"),
        ("铝业", "原材料：铝材"),
    ),
    "commerce": (
        ("食品", "货源：食品"),
        ("粮油", "货源：粮油"),
        ("农产品", "货源：生鲜农产品"),
        ("物流", "物流配送"),
        ("日化", "货源：日用品"),
    ),
    "transport": (
        ("石化销售", "燃料供应"),
        ("汽车销售服务", "车辆与维修"),
        ("轮胎", "轮胎与配件"),
    ),
    "culture_tourism": (
        ("餐饮管理", "餐饮服务"),
        ("物业服务", "物业与保洁"),
        ("文化传媒", "宣传推广"),
    ),
    "key_project": (
        ("建材", "建材：商品混凝土"),
        ("钢铁", "建材：钢筋"),
        ("水泥", "建材：水泥"),
        ("建筑劳务", "劳务分包"),
        ("物流", "物资运输"),
    ),
}
CUSTOMER_TRADES: dict[str, tuple[tuple[str, str], ...]] = {
    "industry": (
        ("商贸", "成品销售"),
        ("汽车制造", "下游配套"),
        ("机械", "下游配套"),
        ("超市连锁", "成品销售"),
        ("建设工程", "工程供货"),
    ),
    "commerce": (("餐饮管理", "批发客户"), ("超市", "分销客户"), ("学校后勤服务", "团餐客户")),
    "transport": (("食品", "运输客户"), ("商贸", "配送客户"), ("机械制造", "运输客户")),
    "culture_tourism": (("旅行社", "客源渠道"), ("文化传媒", "合作客户")),
    "key_project": (("城市建设投资", "建设单位"),),
}

# For supply links inside the registry: the sectors a firm of a sector buys from.
SUPPLIER_SECTORS = {
    "industry": ("industry", "transport"),
    "commerce": ("industry", "transport"),
    "transport": ("commerce",),
    "culture_tourism": ("commerce", "transport"),
    "key_project": ("industry", "transport"),
}
# The industry divisions a buyer of a sector takes goods from (any, for an industrial buyer).
SUPPLIER_DIVISIONS = {
    "commerce": frozenset({"13", "14", "15", "17", "18", "27", "39"}),
    "culture_tourism": frozenset({"13", "14", "15", "23"}),
    "key_project": frozenset({"30", "31", "32", "33", "38", "44"}),
    "transport": frozenset({"29", "36", "45"}),
}
# What an industrial supplier provides, by the buyer's sector; utilities by their division.
SUPPLY_NOTES = {
    "industry": "原材料与零部件",
    "commerce": "货源",
    "culture_tourism": "物资供应",
    "key_project": "建材与设备",
    "transport": "车辆配件与燃料",
}
# Transport firms that carry people, not goods: never a goods supplier.
PASSENGER_WORDS = ("公共交通", "客运")
UTILITY_NOTES = {"44": "供电供热", "45": "燃气供应", "46": "供水"}
SECTOR_SUPPLY_NOTES = {"transport": "物流运输", "commerce": "物资供应"}

# Province-scale set: relative weight of each city's counties (bigger, more industrial cities weigh more).
CITY_WEIGHTS = {
    "4101": 3.0,
    "4102": 1.2,
    "4103": 2.0,
    "4104": 1.2,
    "4105": 1.2,
    "4106": 0.8,
    "4107": 1.5,
    "4108": 1.2,
    "4109": 1.0,
    "4110": 1.5,
    "4111": 0.8,
    "4112": 0.8,
    "4113": 1.5,
    "4114": 1.2,
    "4115": 1.0,
    "4116": 1.2,
    "4117": 1.0,
    "4190": 0.8,
}

# Role display order in the logins table.
ROLE_ORDER = (
    "superuser",
    "admin",
    "dispatcher",
    "sector_official",
    "local_official",
    "prevention_official",
    "cadre",
    "auditor",
    "checkpoint",
    "liaison",
)
