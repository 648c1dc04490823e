// The typed layer over Val: C++ types map to component value types, so host functions and
// calls into a component read like ordinary C++.
//
//   bool, int8_t..uint64_t, float, double, char32_t, std::string   the primitives
//   std::vector<T>          list<T>
//   std::optional<T>        option<T>
//   std::tuple<T...>        tuple<T...>
//   Expected<T, E>          result<T, E>
//
//   linker.define("local:demo/host", "greet", {"name"},
//                 [](std::string name) { return "hello " + name; });
//   auto greet = TypedFunc<std::string(std::string)>::lookup(*instance, "greet");
//   Result<std::string> s = greet->call(store, "world");
#pragma once

#include "cirrus/component/component.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace cirrus::component {

// result<T, E> as a C++ value: either ok or err.
template <typename T, typename E>
struct Expected {
    std::variant<T, E> value;
    static Expected ok(T v) { return {std::variant<T, E>(std::in_place_index<0>, std::move(v))}; }
    static Expected err(E e) { return {std::variant<T, E>(std::in_place_index<1>, std::move(e))}; }
    bool is_ok() const { return value.index() == 0; }
    friend bool operator==(const Expected&, const Expected&) = default;
};

template <typename T, typename = void>
struct ValTraits;

template <TypeKind K, typename C>
struct IntTraits {
    static constexpr TypeKind type_kind = K;
    static const ValType* type(TypeArena&) { return ValType::primitive(K); }
    static Val to_val(C v) {
        if constexpr (std::is_signed_v<C>)
            return Val(K, static_cast<uint64_t>(static_cast<int64_t>(v)));
        else
            return Val(K, static_cast<uint64_t>(v));
    }
    static C from_val(const Val& v) { return static_cast<C>(v.bits); }
};

template <>
struct ValTraits<int8_t> : IntTraits<TypeKind::S8, int8_t> {};
template <>
struct ValTraits<uint8_t> : IntTraits<TypeKind::U8, uint8_t> {};
template <>
struct ValTraits<int16_t> : IntTraits<TypeKind::S16, int16_t> {};
template <>
struct ValTraits<uint16_t> : IntTraits<TypeKind::U16, uint16_t> {};
template <>
struct ValTraits<int32_t> : IntTraits<TypeKind::S32, int32_t> {};
template <>
struct ValTraits<uint32_t> : IntTraits<TypeKind::U32, uint32_t> {};
template <>
struct ValTraits<int64_t> : IntTraits<TypeKind::S64, int64_t> {};
template <>
struct ValTraits<uint64_t> : IntTraits<TypeKind::U64, uint64_t> {};
template <>
struct ValTraits<char32_t> : IntTraits<TypeKind::Char, char32_t> {};

template <>
struct ValTraits<bool> {
    static const ValType* type(TypeArena&) { return ValType::primitive(TypeKind::Bool); }
    static Val to_val(bool v) { return Val::boolean(v); }
    static bool from_val(const Val& v) { return v.as_bool(); }
};
template <>
struct ValTraits<float> {
    static const ValType* type(TypeArena&) { return ValType::primitive(TypeKind::F32); }
    static Val to_val(float v) { return Val::f32(v); }
    static float from_val(const Val& v) { return v.as_f32(); }
};
template <>
struct ValTraits<double> {
    static const ValType* type(TypeArena&) { return ValType::primitive(TypeKind::F64); }
    static Val to_val(double v) { return Val::f64(v); }
    static double from_val(const Val& v) { return v.as_f64(); }
};
template <>
struct ValTraits<std::string> {
    static const ValType* type(TypeArena&) { return ValType::primitive(TypeKind::String); }
    static Val to_val(std::string v) { return Val::string(std::move(v)); }
    static std::string from_val(const Val& v) { return v.as_string(); }
};
template <typename T>
struct ValTraits<std::vector<T>> {
    static const ValType* type(TypeArena& a) { return a.list(ValTraits<T>::type(a)); }
    // Integers travel as a packed list (val.h): their bytes, little-endian.
    static constexpr bool packed =
        std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char32_t>;
    static Val to_val(std::vector<T> v) {
        if constexpr (packed) {
            std::string raw(v.size() * sizeof(T), '\0');
            for (size_t i = 0; i < v.size(); ++i) {
                auto x = static_cast<std::make_unsigned_t<T>>(v[i]);
                for (size_t b = 0; b < sizeof(T); ++b)
                    raw[i * sizeof(T) + b] = static_cast<char>(x >> (8 * b));
            }
            return Val::packed_list(ValTraits<T>::type_kind, std::move(raw));
        } else {
            std::vector<Val> elems;
            elems.reserve(v.size());
            for (auto& e : v) elems.push_back(ValTraits<T>::to_val(std::move(e)));
            return Val::list(std::move(elems));
        }
    }
    static std::vector<T> from_val(const Val& v) {
        std::vector<T> out;
        size_t n = v.list_size();
        out.reserve(n);
        if (v.is_packed()) {
            for (size_t i = 0; i < n; ++i) out.push_back(ValTraits<T>::from_val(v.list_at(i)));
        } else {
            for (const auto& e : v.elems) out.push_back(ValTraits<T>::from_val(e));
        }
        return out;
    }
};
template <typename T>
struct ValTraits<std::optional<T>> {
    static const ValType* type(TypeArena& a) { return a.option(ValTraits<T>::type(a)); }
    static Val to_val(std::optional<T> v) {
        return v ? Val::some(ValTraits<T>::to_val(std::move(*v))) : Val::none();
    }
    static std::optional<T> from_val(const Val& v) {
        if (v.case_index() == 0) return std::nullopt;
        return ValTraits<T>::from_val(v.elems.at(0));
    }
};
template <typename... T>
struct ValTraits<std::tuple<T...>> {
    static const ValType* type(TypeArena& a) { return a.tuple({ValTraits<T>::type(a)...}); }
    static Val to_val(std::tuple<T...> v) {
        return std::apply(
            [](auto&&... m) {
                return Val::tuple({ValTraits<std::decay_t<decltype(m)>>::to_val(std::move(m))...});
            },
            std::move(v));
    }
    static std::tuple<T...> from_val(const Val& v) {
        return [&]<size_t... I>(std::index_sequence<I...>) {
            return std::tuple<T...>(ValTraits<T>::from_val(v.elems.at(I))...);
        }
        (std::index_sequence_for<T...>{});
    }
};
template <typename T, typename E>
struct ValTraits<Expected<T, E>> {
    static const ValType* type(TypeArena& a) {
        return a.result(ValTraits<T>::type(a), ValTraits<E>::type(a));
    }
    static Val to_val(Expected<T, E> v) {
        if (v.is_ok()) return Val::ok(ValTraits<T>::to_val(std::get<0>(std::move(v.value))));
        return Val::err(ValTraits<E>::to_val(std::get<1>(std::move(v.value))));
    }
    static Expected<T, E> from_val(const Val& v) {
        if (v.case_index() == 0) return Expected<T, E>::ok(ValTraits<T>::from_val(v.elems.at(0)));
        return Expected<T, E>::err(ValTraits<E>::from_val(v.elems.at(0)));
    }
};

namespace detail {
template <typename F>
struct FnSig;
template <typename R, typename... A>
struct FnSig<R(A...)> {
    using Result = R;
    static constexpr size_t arity = sizeof...(A);
    static const FuncType* type(TypeArena& arena,
                                const std::array<std::string, sizeof...(A)>& names) {
        FuncType ft;
        size_t i = 0;
        ((ft.params.emplace_back(names[i++], ValTraits<std::decay_t<A>>::type(arena))), ...);
        if constexpr (!std::is_void_v<R>) ft.result = ValTraits<R>::type(arena);
        return arena.func(std::move(ft));
    }
};
template <typename C>
struct LambdaSig : LambdaSig<decltype(&C::operator())> {};
template <typename C, typename R, typename... A>
struct LambdaSig<R (C::*)(A...) const> {
    using type = R(A...);
};
template <typename C, typename R, typename... A>
struct LambdaSig<R (C::*)(A...)> {
    using type = R(A...);
};
} // namespace detail

// Defines a host function from a C++ callable; parameter names are given, the WIT type comes
// from the C++ signature. The callable may return R or Result<R>.
template <typename F>
void define_typed(
    Linker& linker, std::string_view instance, std::string_view name,
    const std::array<std::string, detail::FnSig<typename detail::LambdaSig<F>::type>::arity>&
        param_names,
    F fn) {
    using Sig = typename detail::LambdaSig<F>::type;
    const FuncType* ft = detail::FnSig<Sig>::type(linker.types(), param_names);
    linker.define_func(
        instance, name, ft,
        [fn = std::move(fn)](CallContext&,
                             std::span<const Val> args) -> Result<std::optional<Val>> {
            return [&]<typename R, typename... A>(R (*)(A...)) -> Result<std::optional<Val>> {
                return [&]<size_t... I>(std::index_sequence<I...>)->Result<std::optional<Val>> {
                    if constexpr (std::is_void_v<R>) {
                        fn(ValTraits<std::decay_t<A>>::from_val(args[I])...);
                        return std::optional<Val>();
                    } else {
                        return std::optional<Val>(ValTraits<R>::to_val(
                            fn(ValTraits<std::decay_t<A>>::from_val(args[I])...)));
                    }
                }
                (std::index_sequence_for<A...>{});
            }(static_cast<Sig*>(nullptr));
        });
}

// A component function with a C++ signature checked against its component type at lookup.
template <typename Sig>
class TypedFunc;

template <typename R, typename... A>
class TypedFunc<R(A...)> {
public:
    // Finds export `name` (see Instance::get_func) and checks that its type is R(A...).
    static Result<TypedFunc> lookup(const Instance& instance, std::string_view name) {
        Func* f = instance.get_func(name);
        if (!f) return Error(ErrorKind::Usage, "no exported function `" + std::string(name) + "`");
        TypeArena arena;
        FuncType want;
        ((want.params.emplace_back("", ValTraits<std::decay_t<A>>::type(arena))), ...);
        if constexpr (!std::is_void_v<R>) want.result = ValTraits<R>::type(arena);
        const FuncType& have = f->type();
        std::string why;
        bool ok =
            have.params.size() == want.params.size() && val_subtype(have.result, want.result, &why);
        for (size_t i = 0; ok && i < have.params.size(); ++i)
            ok = val_subtype(have.params[i].second, want.params[i].second, &why);
        if (!ok)
            return Error(ErrorKind::Usage, "function `" + std::string(name) + "` has type " +
                                               wit_func(have) + ", not the C++ signature given" +
                                               (why.empty() ? "" : ": " + why));
        return TypedFunc(f);
    }

    Result<R> call(Store& store, A... args) const {
        std::vector<Val> vals = {ValTraits<std::decay_t<A>>::to_val(std::move(args))...};
        auto r = store.call(func_, vals);
        if (!r.ok()) return std::move(r).error();
        if constexpr (std::is_void_v<R>) {
            return {};
        } else {
            return ValTraits<R>::from_val(**r);
        }
    }
    Func* func() const { return func_; }

private:
    explicit TypedFunc(Func* f) : func_(f) {}
    Func* func_;
};

} // namespace cirrus::component
