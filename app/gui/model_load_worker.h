#pragma once
// Loads a model on its own thread and plans every precision the Quantize view
// offers (types per tensor, predicted file size), so the window never waits.
// Talks to the UI only through queued signals. A load cannot be interrupted
// inside the loader; Cancel in the window drops its result (the request id).
#include "model/model.h"
#include "quant/variant_plan.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <map>
#include <memory>

struct LoadedModel {
    std::shared_ptr<const qb::Model> model;
    std::map<std::string, qb::VariantPlan> plans; // by precision name ("Q4_K_M"); absent when it cannot apply
    std::map<std::string, std::string> planErrors; // why a precision cannot apply
    double seconds = 0;
};

class ModelLoadWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

public slots:
    void load(int request, const QString& path);

signals:
    void loaded(int request, std::shared_ptr<const LoadedModel> model);
    void failed(int request, const QString& message);
};

Q_DECLARE_METATYPE(std::shared_ptr<const LoadedModel>)
