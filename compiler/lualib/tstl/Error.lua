-- dependencies: Class, ClassExtends, New
local Error, RangeError, ReferenceError, SyntaxError, TypeError, URIError
do
    -- Hooks have no debug library, so errors carry no stack; Lua's error position says where they came from.
    local function initErrorClass(Type, name)
        Type.name = name
        return setmetatable(Type, {__call = function(_, _self, message) return __TS__New(Type, message) end})
    end
    local base = __TS__Class()
    function base.prototype.____constructor(self, message)
        if message == nil then
            message = ""
        end
        self.message = message
        self.name = "Error"
        self.stack = ""
    end
    function base.prototype.__tostring(self)
        if self.message ~= "" then
            return self.name .. ": " .. self.message
        end
        return self.name
    end
    Error = initErrorClass(base, "Error")
    local function createErrorClass(name)
        local class = __TS__Class()
        __TS__ClassExtends(class, Error)
        function class.prototype.____constructor(self, ...)
            class.____super.prototype.____constructor(self, ...)
            self.name = name
        end
        return initErrorClass(class, name)
    end
    RangeError = createErrorClass("RangeError")
    ReferenceError = createErrorClass("ReferenceError")
    SyntaxError = createErrorClass("SyntaxError")
    TypeError = createErrorClass("TypeError")
    URIError = createErrorClass("URIError")
end
