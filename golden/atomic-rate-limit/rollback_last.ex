defmodule Golden.AtomicRateLimit.RollbackLast do
  # The rollback's result is the denied branch's value: not fixed automatically.
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > @limit do
      :ets.update_counter(tab, key, {2, -1})
    else
      n
    end
  end
end
