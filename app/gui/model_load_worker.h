#pragma once
// Loads a model on its own thread; talks to the UI only through queued signals.
#include "model/model.h"

#include <QObject>
#include <QString>
#include <memory>

class ModelLoadWorker : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

public slots:
    void load(const QString& path);

signals:
    void loaded(std::shared_ptr<const qb::Model> model);
    void failed(const QString& message);
};
